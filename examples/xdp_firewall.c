/*
 * xdp_firewall: drops IPv4 TCP and UDP packets sent to one destination port
 * and counts, per source address, how many packets it passed and dropped.
 *
 * The port is a load-time knob (a `const volatile` global in .rodata): the
 * loader patches it before load, and the verifier sees it as a constant.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The fragment offset bits of iphdr.frag_off (host order). */
#define FRAG_OFFSET_MASK 0x1fff

/* Host byte order; 0 blocks nothing. */
const volatile __u16 blocked_port = 0;

/* The first four bytes of a TCP or UDP header. */
struct l4_ports {
	__be16 source;
	__be16 dest;
};

struct verdicts {
	__u64 passed;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);			/* IPv4 source address, network order */
	__type(value, struct verdicts);
} by_source SEC(".maps");

/* .bss: every packet the program saw, and those it could not parse (not IPv4, or cut short). */
__u64 packets_seen = 0;
__u64 not_inspected = 0;

static __always_inline int verdict(__u32 saddr, int action)
{
	struct verdicts *v = bpf_map_lookup_elem(&by_source, &saddr);

	if (!v) {
		struct verdicts zero = {};

		/* Another CPU may insert the same key first: that is fine. */
		bpf_map_update_elem(&by_source, &saddr, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&by_source, &saddr);
		if (!v)
			return action;
	}
	if (action == XDP_DROP)
		__sync_fetch_and_add(&v->dropped, 1);
	else
		__sync_fetch_and_add(&v->passed, 1);
	return action;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct l4_ports *ports;
	struct iphdr *ip;
	__u16 dport;

	__sync_fetch_and_add(&packets_seen, 1);

	if ((void *)(eth + 1) > data_end)
		goto skip;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		goto skip;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		goto skip;
	if (ip->ihl < 5)
		goto skip;

	/* Only the first fragment carries the L4 header. */
	if (ip->frag_off & bpf_htons(FRAG_OFFSET_MASK))
		return verdict(ip->saddr, XDP_PASS);

	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return verdict(ip->saddr, XDP_PASS);

	/*
	 * TCP and UDP headers both open with the two ports. One bounds check
	 * on that common prefix keeps a single packet pointer for the
	 * verifier to track (checking tcphdr and udphdr on two branches lets
	 * clang merge the branches after the checks).
	 */
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 1) > data_end)
		goto skip;
	dport = bpf_ntohs(ports->dest);

	if (blocked_port && dport == blocked_port)
		return verdict(ip->saddr, XDP_DROP);
	return verdict(ip->saddr, XDP_PASS);

skip:
	__sync_fetch_and_add(&not_inspected, 1);
	return XDP_PASS;
}

/* GPL-compatible, so GPL-only helpers may be called; the source is MIT like the rest of bpfkit. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
