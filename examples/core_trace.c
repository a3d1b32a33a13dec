/*
 * core_trace: reports every exec with CO-RE reads of the current task_struct
 * (pid, tgid, comm and the parent's tgid) through a ring buffer.
 *
 * No vmlinux.h: the struct below names only the fields we read, and
 * preserve_access_index makes clang record each access as a CO-RE
 * relocation, so the loader fixes the offsets up against the running
 * kernel's BTF.
 *
 * Two programs share one subprogram: the tracepoint is the one to attach;
 * the raw tracepoint does the same work on the task it is given and, unlike a
 * tracepoint, can be run with BPF_PROG_TEST_RUN (a test gives it no real task:
 * every CO-RE read of it fails and reads as zero, the same on every kernel).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define COMM_LEN 16

struct task_struct {
	int pid;
	int tgid;
	char comm[COMM_LEN];
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

/* The sched_process_exec tracepoint's record (see its format file). */
struct sched_process_exec_args {
	__u64 common;			/* type, flags, preempt_count, pid */
	__u32 filename_loc;		/* __data_loc char[] filename */
	int pid;
	int old_pid;
};

enum event_source {
	FROM_TRACEPOINT = 1,
	FROM_RAW_TRACEPOINT = 2,
};

struct exec_event {
	__u32 pid;		/* the thread */
	__u32 tgid;		/* the process */
	__u32 ppid;		/* real_parent->tgid */
	__u32 old_pid;		/* from the tracepoint's arguments */
	__u32 source;		/* enum event_source */
	char comm[COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Only this process (tgid) when set; 0 reports every exec. */
const volatile __u32 target_tgid = 0;

/* .bss: events lost because the ring buffer was full. */
__u64 lost_events = 0;

static __noinline int emit_exec(struct task_struct *task, __u32 source, __u32 old_pid)
{
	struct exec_event *e;
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (target_tgid && tgid != target_tgid)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost_events, 1);
		return 0;
	}
	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->old_pid = old_pid;
	e->source = source;
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct sched_process_exec_args *ctx)
{
	return emit_exec((struct task_struct *)bpf_get_current_task(), FROM_TRACEPOINT, ctx->old_pid);
}

/* Raw tracepoint arguments: (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm). */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(handle_exec_raw, struct task_struct *p, int old_pid)
{
	return emit_exec(p, FROM_RAW_TRACEPOINT, old_pid);
}

/* GPL-compatible, so GPL-only helpers may be called; the source is MIT like the rest of bpfkit. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
