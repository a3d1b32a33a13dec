/*
 * bpfkit_linux: the smallest bridge from Node to the bpf(2) syscall.
 *
 * Built on first use with `cc -shared -fPIC` by @bpfkit/linux (never at install
 * time). It declares the few Node-API functions it needs itself instead of
 * including <node_api.h>, so a C compiler is the only build requirement:
 * Node-API is a stable C ABI, and these signatures never change.
 *
 * Every function returns a number instead of throwing: -errno on failure.
 * Besides bpf(2): memory, mmap, perf_event_open (perf buffers), and the few calls the delegation harness needs
 * (fsopen/fsconfig/fsmount, a socketpair and fd passing with SCM_RIGHTS), and the scenario actors
 * (forked copies of this process that make raw system calls for an orchestrator).
 * Address bookkeeping (which ranges belong to the caller) lives in JS; this
 * file trusts the addresses it is given.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* napi_ok == 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef int napi_typedarray_type;

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info cbinfo, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb,
                                        void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
extern napi_status napi_create_bigint_uint64(napi_env env, uint64_t value, napi_value *result);
extern napi_status napi_get_value_bigint_uint64(napi_env env, napi_value value, uint64_t *result, bool *lossless);
extern napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, napi_typedarray_type *type,
                                            size_t *length, void **data, napi_value *arraybuffer,
                                            size_t *byte_offset);
extern napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg);

#define NAPI_UINT8_ARRAY 1

static napi_value int_result(napi_env env, int32_t v) {
  napi_value out = NULL;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value bad_args(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return NULL;
}

static bool get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type = -1;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != 0 || type != NAPI_UINT8_ARRAY) return false;
  *data = p;
  return true;
}

static bool get_addr(napi_env env, napi_value v, uint64_t *addr) {
  bool lossless = false;
  return napi_get_value_bigint_uint64(env, v, addr, &lossless) == 0 && lossless;
}

/* bpf(cmd: number, attr: Uint8Array): fd or 0, or -errno. The kernel reads and
 * writes back (log_true_size, ...) the caller's bytes in place. */
static napi_value js_bpf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t cmd = 0;
  uint8_t *attr = NULL;
  size_t size = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 ||
      napi_get_value_int32(env, argv[0], &cmd) != 0 || !get_bytes(env, argv[1], &attr, &size))
    return bad_args(env, "bpf(cmd: number, attr: Uint8Array)");
  if (size > UINT32_MAX) return int_result(env, -E2BIG);
  long r = syscall(SYS_bpf, cmd, size == 0 ? NULL : attr, (unsigned int)size);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != 0)
    return bad_args(env, "close(fd: number)");
  return int_result(env, close(fd) < 0 ? -errno : 0);
}

/* alloc(size: number): bigint address of zeroed memory, 0n when out of memory. */
static napi_value js_alloc(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t size = 0;
  napi_value out = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 ||
      napi_get_value_int32(env, argv[0], &size) != 0 || size < 0)
    return bad_args(env, "alloc(size: number)");
  void *p = calloc(1, size == 0 ? 1 : (size_t)size);
  napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)p, &out);
  return out;
}

static napi_value js_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint64_t addr = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || !get_addr(env, argv[0], &addr))
    return bad_args(env, "free(addr: bigint)");
  free((void *)(uintptr_t)addr);
  return int_result(env, 0);
}

/* copy(addr: bigint, bytes: Uint8Array, toUser: number): toUser 1 writes bytes
 * at addr, 0 reads from addr into bytes. */
static napi_value js_copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint64_t addr = 0;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int32_t to_user = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 || !get_addr(env, argv[0], &addr) ||
      !get_bytes(env, argv[1], &bytes, &len) || napi_get_value_int32(env, argv[2], &to_user) != 0)
    return bad_args(env, "copy(addr: bigint, bytes: Uint8Array, toUser: number)");
  if (len == 0) return int_result(env, 0);
  if (to_user)
    memcpy((void *)(uintptr_t)addr, bytes, len);
  else
    memcpy(bytes, (const void *)(uintptr_t)addr, len);
  return int_result(env, 0);
}

/* mmap(fd, length, prot, flags, offset, out: Uint8Array(8)): 0 with the address
 * in out, or -errno. Only shared or private file mappings of an fd; the kernel
 * picks the address. */
static napi_value js_mmap(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t fd = -1, length = 0, prot = 0, flags = 0, offset = 0;
  uint8_t *out = NULL;
  size_t out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 6 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || napi_get_value_int32(env, argv[1], &length) != 0 ||
      napi_get_value_int32(env, argv[2], &prot) != 0 || napi_get_value_int32(env, argv[3], &flags) != 0 ||
      napi_get_value_int32(env, argv[4], &offset) != 0 || !get_bytes(env, argv[5], &out, &out_len) || out_len != 8 ||
      length < 0 || offset < 0)
    return bad_args(env, "mmap(fd, length, prot, flags, offset: number, out: Uint8Array(8))");
  /* Never let a caller place a mapping (MAP_FIXED) over Node's own memory. */
  void *p = mmap(NULL, (size_t)length, prot, flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE), fd, (off_t)offset);
  if (p == MAP_FAILED) return int_result(env, -errno);
  uint64_t addr = (uint64_t)(uintptr_t)p;
  memcpy(out, &addr, 8);
  return int_result(env, 0);
}

/* munmap(addr: bigint, length: number): 0 or -errno. */
static napi_value js_munmap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint64_t addr = 0;
  int32_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 || !get_addr(env, argv[0], &addr) ||
      napi_get_value_int32(env, argv[1], &length) != 0 || length < 0)
    return bad_args(env, "munmap(addr: bigint, length: number)");
  return int_result(env, munmap((void *)(uintptr_t)addr, (size_t)length) < 0 ? -errno : 0);
}

/* A string argument: a Uint8Array whose last byte is NUL (an empty array is NULL). */
static bool get_cstr(napi_env env, napi_value v, const char **s) {
  uint8_t *p = NULL;
  size_t len = 0;
  if (!get_bytes(env, v, &p, &len)) return false;
  if (len == 0) {
    *s = NULL;
    return true;
  }
  if (p[len - 1] != 0) return false;
  *s = (const char *)p;
  return true;
}

/* open(path: cstr, flags): fd (always O_CLOEXEC) or -errno. Not fs.openSync: Node tracks the fds
 * it opens and warns when one closed elsewhere comes back. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  const char *path = NULL;
  int32_t flags = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 || !get_cstr(env, argv[0], &path) ||
      path == NULL || napi_get_value_int32(env, argv[1], &flags) != 0)
    return bad_args(env, "open(path: Uint8Array (NUL-terminated), flags: number)");
  int r;
  do r = open(path, flags | O_CLOEXEC, 0);
  while (r < 0 && errno == EINTR);
  return int_result(env, r < 0 ? -errno : r);
}

/* fsopen(fsname: cstr, flags): fd or -errno. */
static napi_value js_fsopen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  const char *name = NULL;
  int32_t flags = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 || !get_cstr(env, argv[0], &name) ||
      name == NULL || napi_get_value_int32(env, argv[1], &flags) != 0)
    return bad_args(env, "fsopen(fsname: Uint8Array (NUL-terminated), flags: number)");
  long r = syscall(SYS_fsopen, name, (unsigned int)flags);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* fsconfig(fd, cmd, key: cstr | empty, value: cstr | empty, aux): 0 or -errno. Only string values. */
static napi_value js_fsconfig(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t fd = -1, cmd = 0, aux = 0;
  const char *key = NULL, *value = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 5 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || napi_get_value_int32(env, argv[1], &cmd) != 0 ||
      !get_cstr(env, argv[2], &key) || !get_cstr(env, argv[3], &value) ||
      napi_get_value_int32(env, argv[4], &aux) != 0)
    return bad_args(env, "fsconfig(fd, cmd: number, key, value: Uint8Array (NUL-terminated or empty), aux: number)");
  long r = syscall(SYS_fsconfig, fd, (unsigned int)cmd, key, value, aux);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* fsmount(fd, flags, attrFlags): mount fd (O_PATH) or -errno. */
static napi_value js_fsmount(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd = -1, flags = 0, attrs = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || napi_get_value_int32(env, argv[1], &flags) != 0 ||
      napi_get_value_int32(env, argv[2], &attrs) != 0)
    return bad_args(env, "fsmount(fd, flags, attrFlags: number)");
  long r = syscall(SYS_fsmount, fd, (unsigned int)flags, (unsigned int)attrs);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* moveMount(fd, toPath: cstr): attaches the detached mount fd (from fsmount) at toPath; 0 or -errno. */
static napi_value js_move_mount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  const char *to = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || !get_cstr(env, argv[1], &to) || to == NULL)
    return bad_args(env, "moveMount(fd: number, toPath: Uint8Array (NUL-terminated))");
  /* 0x4: MOVE_MOUNT_F_EMPTY_PATH, the source is fd itself. */
  long r = syscall(SYS_move_mount, fd, "", AT_FDCWD, to, 0x4);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* socketpair(type, out: Uint8Array(8)): 0 with two int32 fds in out, or -errno. AF_UNIX only. */
static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t type = 0;
  uint8_t *out = NULL;
  size_t out_len = 0;
  int sv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 ||
      napi_get_value_int32(env, argv[0], &type) != 0 || !get_bytes(env, argv[1], &out, &out_len) || out_len != 8)
    return bad_args(env, "socketpair(type: number, out: Uint8Array(8))");
  if (socketpair(AF_UNIX, type, 0, sv) < 0) return int_result(env, -errno);
  memcpy(out, sv, sizeof sv);
  return int_result(env, 0);
}

/* sendfd(sock, byte, fd): sends one data byte, with fd attached (SCM_RIGHTS) unless fd < 0.
 * Returns 1 or -errno. */
static napi_value js_sendfd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sock = -1, byte = 0, fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 ||
      napi_get_value_int32(env, argv[0], &sock) != 0 || napi_get_value_int32(env, argv[1], &byte) != 0 ||
      napi_get_value_int32(env, argv[2], &fd) != 0)
    return bad_args(env, "sendfd(sock, byte, fd: number)");
  char data = (char)byte;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    struct cmsghdr hdr;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* recvfd(sock, flags, out: Uint8Array(8)): bytes received (0 at end of stream) or -errno.
 * out gets the int32 fd received (-1 if none; closed-on-exec) and the data byte at offset 4.
 * flags: MSG_DONTWAIT or 0. */
static napi_value js_recvfd(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t sock = -1, flags = 0;
  uint8_t *out = NULL;
  size_t out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 ||
      napi_get_value_int32(env, argv[0], &sock) != 0 || napi_get_value_int32(env, argv[1], &flags) != 0 ||
      !get_bytes(env, argv[2], &out, &out_len) || out_len != 8)
    return bad_args(env, "recvfd(sock, flags: number, out: Uint8Array(8))");
  char data = 0;
  struct iovec iov = {.iov_base = &data, .iov_len = 1};
  union {
    struct cmsghdr hdr;
    char buf[CMSG_SPACE(sizeof(int) * 4)];
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | (flags & MSG_DONTWAIT));
  while (r < 0 && errno == EINTR);
  if (r < 0) return int_result(env, -errno);
  int32_t got = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      /* Keep the first fd; never leak extra ones a peer attached. */
      if (got < 0)
        got = fd;
      else
        close(fd);
    }
  }
  memcpy(out, &got, 4);
  out[4] = (uint8_t)data;
  return int_result(env, (int32_t)r);
}

/* sched_setaffinity(0, {cpu}) or, for cpu < 0, every CPU the process may use: pins the calling thread
 * (the one running JavaScript, which makes every bpf() call), so BPF_PROG_TEST_RUN runs on a known CPU. */
static napi_value js_pin_cpu(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t cpu = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 1 || napi_get_value_int32(env, argv[0], &cpu) != 0)
    return bad_args(env, "pinCpu(cpu)");
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    if (cpu >= CPU_SETSIZE) return int_result(env, -EINVAL);
    CPU_SET(cpu, &set);
  } else {
    for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  }
  return int_result(env, sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno);
}

/* perf_event_open(attr: Uint8Array, pid, cpu, group_fd, flags): fd or -errno. The kernel reads attr->size
 * bytes of attr (the caller checked they are there) and may write its own size back into it (E2BIG). */
static napi_value js_perf_event_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *attr = NULL;
  size_t size = 0;
  int32_t pid = 0, cpu = 0, group_fd = 0, flags = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 5 || !get_bytes(env, argv[0], &attr, &size) ||
      size < 8 || napi_get_value_int32(env, argv[1], &pid) != 0 || napi_get_value_int32(env, argv[2], &cpu) != 0 ||
      napi_get_value_int32(env, argv[3], &group_fd) != 0 || napi_get_value_int32(env, argv[4], &flags) != 0)
    return bad_args(env, "perfEventOpen(attr: Uint8Array(>= 8), pid, cpu, group_fd, flags: number)");
  long r = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, (unsigned long)(uint32_t)flags);
  return int_result(env, r < 0 ? -errno : (int32_t)r);
}

/* perfIoctl(fd, request, arg): ioctl(fd, request, arg) for the perf event requests ENABLE, DISABLE and
 * SET_BPF (integer argument: flags, or a program fd) only, 0 or -errno; any other request is -ENOTTY
 * without a call. */
static napi_value js_perf_ioctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd = -1, request = 0, arg = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 3 ||
      napi_get_value_int32(env, argv[0], &fd) != 0 || napi_get_value_int32(env, argv[1], &request) != 0 ||
      napi_get_value_int32(env, argv[2], &arg) != 0)
    return bad_args(env, "perfIoctl(fd, request, arg: number)");
  if (request != 0x2400 && request != 0x2401 && request != 0x40042408) return int_result(env, -ENOTTY);
  return int_result(env, ioctl(fd, (unsigned long)(uint32_t)request, (unsigned long)(uint32_t)arg) < 0 ? -errno : 0);
}

/*
 * Scenario actors. An actor is a forked copy of this process that runs actor_loop() and never returns
 * to JavaScript: it only makes raw system calls on a static buffer, so it is safe to fork from a
 * multithreaded Node process (no allocator, no locks), and, being single-threaded, it may
 * unshare(CLONE_NEWUSER). The orchestrator drives it over a SOCK_SEQPACKET socket:
 * request = struct actor_req + a blob copied to actor_buf; reply = struct actor_resp + the blob as the
 * call left it (out parameters, read buffers).
 */
#define ACTOR_BUF (256 * 1024)
enum { ACTOR_SYSCALL = 0, ACTOR_BASE = 1, ACTOR_SENDFD = 2, ACTOR_RECVFD = 3, ACTOR_FORK = 4 };
struct actor_req {
  uint32_t kind, nr;
  uint64_t args[6];
};
struct actor_resp {
  int64_t ret;
  int32_t err;
  uint32_t len;
};
static uint8_t actor_buf[ACTOR_BUF] __attribute__((aligned(4096)));

/* fork() without the atfork handlers of libc and of the libraries Node loaded (they may take locks). */
static long raw_fork(void) { return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); }

/* An actor's own socket: the last fd below the usual 1024 limit, out of the way of the numbers
 * its calls allocate (lowest first, from 0, as in a task with an empty fd table). */
#define ACTOR_SOCK_FD 1023

/* In a fresh actor: its socket moves to ACTOR_SOCK_FD and every other inherited fd, 0 to 2
 * included, is closed, so its fd table holds nothing the scenario did not open. */
static int actor_adopt(int sock) {
  if (sock != ACTOR_SOCK_FD) {
    if (syscall(SYS_dup3, sock, ACTOR_SOCK_FD, 0) < 0) syscall(SYS_exit_group, 120);
  }
  syscall(SYS_close_range, 0, ACTOR_SOCK_FD - 1, 0);
  syscall(SYS_close_range, ACTOR_SOCK_FD + 1, ~0U, 0);
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return ACTOR_SOCK_FD;
}

static void actor_exit(void) {
  while (syscall(SYS_wait4, -1, NULL, 0, NULL) > 0) {
  }
  syscall(SYS_exit_group, 0);
}

static void actor_reply(int sock, int64_t ret, int32_t err, size_t len, int fd) {
  struct actor_resp rs = {.ret = ret, .err = err, .len = (uint32_t)len};
  struct iovec iov[2] = {{.iov_base = &rs, .iov_len = sizeof rs}, {.iov_base = actor_buf, .iov_len = len}};
  union {
    struct cmsghdr hdr;
    char buf[CMSG_SPACE(sizeof(int))];
  } ctl;
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  long r;
  do r = syscall(SYS_sendmsg, sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) actor_exit();
}

static __attribute__((noreturn)) void actor_loop(int sock) {
  for (;;) {
    struct actor_req rq;
    struct iovec iov[2] = {{.iov_base = &rq, .iov_len = sizeof rq}, {.iov_base = actor_buf, .iov_len = ACTOR_BUF}};
    union {
      struct cmsghdr hdr;
      char buf[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    long r;
    do r = syscall(SYS_recvmsg, sock, &msg, 0);
    while (r < 0 && errno == EINTR);
    if (r < (long)sizeof rq) actor_exit();
    size_t len = (size_t)r - sizeof rq;
    int got = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (got < 0) got = fd;
        else syscall(SYS_close, fd);
      }
    }
    int64_t ret = 0;
    int32_t err = 0;
    switch (rq.kind) {
    case ACTOR_SYSCALL:
      if (got >= 0) syscall(SYS_close, got);
      ret = syscall((long)rq.nr, rq.args[0], rq.args[1], rq.args[2], rq.args[3], rq.args[4], rq.args[5]);
      if (ret < 0) err = errno;
      break;
    case ACTOR_BASE:
      ret = (int64_t)(uintptr_t)actor_buf;
      break;
    case ACTOR_SENDFD:
      actor_reply(sock, 0, 0, 0, (int)rq.args[0]);
      continue;
    case ACTOR_RECVFD:
      ret = got;
      if (got < 0) err = EBADF;
      break;
    case ACTOR_FORK: {
      if (got < 0) {
        err = EBADF;
        ret = -1;
        break;
      }
      long pid = raw_fork();
      if (pid == 0) {
        sock = actor_adopt(got);
        continue;
      }
      syscall(SYS_close, got);
      ret = pid;
      if (pid < 0) err = errno;
      break;
    }
    default:
      ret = -1;
      err = ENOSYS;
    }
    actor_reply(sock, ret, err, len, -1);
  }
}

/* actorFork(sock): forks an actor that serves requests on sock; returns its pid or -errno. */
static napi_value js_actor_fork(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sock = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 ||
      napi_get_value_int32(env, argv[0], &sock) != 0)
    return bad_args(env, "actorFork(sock: number)");
  long pid = raw_fork();
  if (pid == 0) actor_loop(actor_adopt(sock));
  return int_result(env, pid < 0 ? -errno : (int32_t)pid);
}

/* actorCall(sock, req, fd, resp, timeoutMs, out: Uint8Array(4)): sends req (with fd attached unless
 * fd < 0), waits up to timeoutMs for the reply into resp. Returns the reply's length or -errno; out
 * gets the fd attached to the reply (-1 if none, close-on-exec). */
static napi_value js_actor_call(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t sock = -1, fd = -1, timeout = 0;
  uint8_t *req = NULL, *resp = NULL, *out = NULL;
  size_t req_len = 0, resp_len = 0, out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 6 ||
      napi_get_value_int32(env, argv[0], &sock) != 0 || !get_bytes(env, argv[1], &req, &req_len) ||
      napi_get_value_int32(env, argv[2], &fd) != 0 || !get_bytes(env, argv[3], &resp, &resp_len) ||
      napi_get_value_int32(env, argv[4], &timeout) != 0 || !get_bytes(env, argv[5], &out, &out_len) || out_len != 4)
    return bad_args(env, "actorCall(sock, req: Uint8Array, fd, resp: Uint8Array, timeoutMs, out: Uint8Array(4))");
  struct iovec iov = {.iov_base = req, .iov_len = req_len};
  union {
    struct cmsghdr hdr;
    char buf[CMSG_SPACE(sizeof(int) * 4)];
  } ctl;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    msg.msg_control = ctl.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0) return int_result(env, -errno);
  struct pollfd pfd = {.fd = sock, .events = POLLIN};
  int p;
  do p = poll(&pfd, 1, timeout);
  while (p < 0 && errno == EINTR);
  if (p < 0) return int_result(env, -errno);
  if (p == 0) return int_result(env, -ETIMEDOUT);
  iov.iov_base = resp;
  iov.iov_len = resp_len;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr in = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  do r = recvmsg(sock, &in, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return int_result(env, -errno);
  int32_t got = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&in); c != NULL; c = CMSG_NXTHDR(&in, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int f;
      memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (got < 0) got = f;
      else close(f);
    }
  }
  memcpy(out, &got, 4);
  return int_result(env, (int32_t)r);
}

/* waitpid(pid, flags): the wait status, 0 when WNOHANG finds it still running, or -errno. */
static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t pid = 0, flags = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2 ||
      napi_get_value_int32(env, argv[0], &pid) != 0 || napi_get_value_int32(env, argv[1], &flags) != 0 || pid <= 0)
    return bad_args(env, "waitpid(pid: number, flags: number)");
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, flags & WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return int_result(env, -errno);
  return int_result(env, r == 0 ? 0 : (status & 0x7fffffff) | 0x40000000);
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn = NULL;
  if (napi_create_function(env, name, (size_t)-1, cb, NULL, &fn) == 0) napi_set_named_property(env, exports, name, fn);
}

/* The entry point Node looks up in a Node-API module (what NAPI_MODULE_INIT expands to). */
__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  export_fn(env, exports, "bpf", js_bpf);
  export_fn(env, exports, "close", js_close);
  export_fn(env, exports, "alloc", js_alloc);
  export_fn(env, exports, "free", js_free);
  export_fn(env, exports, "copy", js_copy);
  export_fn(env, exports, "mmap", js_mmap);
  export_fn(env, exports, "munmap", js_munmap);
  export_fn(env, exports, "open", js_open);
  export_fn(env, exports, "fsopen", js_fsopen);
  export_fn(env, exports, "fsconfig", js_fsconfig);
  export_fn(env, exports, "fsmount", js_fsmount);
  export_fn(env, exports, "moveMount", js_move_mount);
  export_fn(env, exports, "socketpair", js_socketpair);
  export_fn(env, exports, "sendfd", js_sendfd);
  export_fn(env, exports, "recvfd", js_recvfd);
  export_fn(env, exports, "pinCpu", js_pin_cpu);
  export_fn(env, exports, "perfEventOpen", js_perf_event_open);
  export_fn(env, exports, "perfIoctl", js_perf_ioctl);
  export_fn(env, exports, "actorFork", js_actor_fork);
  export_fn(env, exports, "actorCall", js_actor_call);
  export_fn(env, exports, "waitpid", js_waitpid);
  return exports;
}

/* Node-API version this module was written against (8: bigint and typed arrays are enough). */
__attribute__((visibility("default"))) int32_t node_api_module_get_api_version_v1(void) { return 8; }
