/*
 * tc_rewrite: a tc (sched_cls) program that rewrites IPv4 packets in place.
 *
 * - It decrements the IPv4 TTL and patches the header checksum with
 *   bpf_l3_csum_replace() (an incremental update, RFC 1624).
 * - It rewrites the destination port of TCP and UDP packets whose port is a
 *   key of the port_redirects map, with bpf_skb_store_bytes() and an
 *   incremental bpf_l4_csum_replace() (a UDP checksum of 0 stays 0).
 *
 * It never drops anything (always TC_ACT_OK) and counts what it did in a
 * per-CPU array.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Byte offsets from the start of the Ethernet frame. */
#define IP_OFF		ETH_HLEN
#define IP_TTL_OFF	(IP_OFF + __builtin_offsetof(struct iphdr, ttl))
#define IP_CSUM_OFF	(IP_OFF + __builtin_offsetof(struct iphdr, check))
/* Within the L4 header. */
#define L4_DPORT_OFF	2
#define TCP_CSUM_OFF	16
#define UDP_CSUM_OFF	6

#define FRAG_OFFSET_MASK 0x1fff

enum {
	SEEN = 0,		/* every packet */
	TTL_DECREMENTED = 1,
	TTL_LEFT_ALONE = 2,	/* TTL of 0 or 1: not ours to expire */
	PORT_REWRITTEN = 3,
	NOT_IPV4 = 4,		/* or no whole IPv4 header */
	NR_COUNTERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Destination port (host order) -> new destination port (host order). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u16);
} port_redirects SEC(".maps");

struct l4_ports {
	__be16 source;
	__be16 dest;
};

static __always_inline void bump(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &which);

	/* Per-CPU slot: no other CPU writes it, a plain add is enough. */
	if (n)
		*n += 1;
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct l4_ports *ports;
	struct iphdr *ip;
	__u16 ttl_proto_old, ttl_proto_new, key, *to;
	__be16 dport = 0, new_dport;
	__u32 l4_off, csum_off, flags;
	__u8 ttl, proto;

	bump(SEEN);
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) {
		bump(NOT_IPV4);
		return TC_ACT_OK;
	}
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5) {
		bump(NOT_IPV4);
		return TC_ACT_OK;
	}

	/*
	 * Read everything first: the helpers that write the packet invalidate
	 * every packet pointer the verifier knows about.
	 */
	ttl = ip->ttl;
	proto = ip->protocol;
	ttl_proto_old = *(__u16 *)&ip->ttl;	/* TTL and protocol share a 16-bit word */
	l4_off = IP_OFF + ip->ihl * 4;
	if (!(ip->frag_off & bpf_htons(FRAG_OFFSET_MASK)) &&
	    (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		ports = (void *)ip + ip->ihl * 4;
		if ((void *)(ports + 1) <= data_end)
			dport = ports->dest;
	}

	if (ttl > 1) {
		__u8 new_ttl = ttl - 1;

		/* TTL is the word's first byte in memory, its high byte in network order. */
		ttl_proto_new = ttl_proto_old - bpf_htons(0x0100);
		if (!bpf_skb_store_bytes(skb, IP_TTL_OFF, &new_ttl, sizeof(new_ttl), 0) &&
		    !bpf_l3_csum_replace(skb, IP_CSUM_OFF, ttl_proto_old, ttl_proto_new,
					 sizeof(__u16)))
			bump(TTL_DECREMENTED);
	} else {
		bump(TTL_LEFT_ALONE);
	}

	if (!dport)
		return TC_ACT_OK;
	key = bpf_ntohs(dport);
	to = bpf_map_lookup_elem(&port_redirects, &key);
	if (!to)
		return TC_ACT_OK;

	new_dport = bpf_htons(*to);
	if (proto == IPPROTO_TCP) {
		csum_off = l4_off + TCP_CSUM_OFF;
		flags = 0;
	} else {
		csum_off = l4_off + UDP_CSUM_OFF;
		flags = BPF_F_MARK_MANGLED_0;
	}
	/* Ports are not part of the pseudo-header: no BPF_F_PSEUDO_HDR. */
	if (bpf_l4_csum_replace(skb, csum_off, dport, new_dport, flags | sizeof(new_dport)))
		return TC_ACT_OK;
	if (!bpf_skb_store_bytes(skb, l4_off + L4_DPORT_OFF, &new_dport, sizeof(new_dport), 0))
		bump(PORT_REWRITTEN);
	return TC_ACT_OK;
}

/* GPL-compatible, so GPL-only helpers may be called; the source is MIT like the rest of bpfkit. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
