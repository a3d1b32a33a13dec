/*
 * socket_filter: a socket filter that keeps IPv4 UDP packets and trims
 * everything else away (a return of 0 drops the packet, skb->len keeps all).
 *
 * Socket filters cannot read packet memory directly; the headers are copied
 * out with bpf_skb_load_bytes_relative(), relative to the network header, so
 * the same code works whatever the socket's data offset is.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum {
	KEPT = 0,
	NOT_IPV4 = 1,
	NOT_UDP = 2,
	TRUNCATED = 3,
	NR_COUNTERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &which);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("socket")
int udp_only(struct __sk_buff *skb)
{
	struct iphdr ip;

	if (skb->protocol != bpf_htons(ETH_P_IP)) {
		count(NOT_IPV4);
		return 0;
	}
	if (bpf_skb_load_bytes_relative(skb, 0, &ip, sizeof(ip), BPF_HDR_START_NET)) {
		count(TRUNCATED);
		return 0;
	}
	if (ip.version != 4 || ip.protocol != IPPROTO_UDP) {
		count(NOT_UDP);
		return 0;
	}
	count(KEPT);
	return skb->len;
}

/* GPL-compatible, so GPL-only helpers may be called; the source is MIT like the rest of bpfkit. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
