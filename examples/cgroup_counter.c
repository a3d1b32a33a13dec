/*
 * cgroup_counter: a cgroup egress hook that counts the packets and bytes a
 * cgroup sends, per (ethertype, IP protocol), and lets everything through.
 *
 * A cgroup_skb program sees the packet from its network header on, and may
 * read (not write) it directly through skb->data / skb->data_end.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct traffic_class {
	__be16 ethertype;	/* skb->protocol, network order */
	__u8 ip_proto;		/* IPv4 protocol / IPv6 next header; 0 when neither */
	__u8 pad;		/* always 0 */
};

struct traffic {
	__u64 packets;
	__u64 bytes;
};

/* Per CPU: the hook runs on many CPUs at once, each adds to its own copy. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, struct traffic_class);
	__type(value, struct traffic);
} egress_traffic SEC(".maps");

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct traffic_class key = { .ethertype = skb->protocol };
	struct traffic *t;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) <= data_end)
			key.ip_proto = ip->protocol;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) <= data_end)
			key.ip_proto = ip6->nexthdr;
	}

	t = bpf_map_lookup_elem(&egress_traffic, &key);
	if (t) {
		t->packets += 1;
		t->bytes += skb->len;
	} else {
		struct traffic first = { .packets = 1, .bytes = skb->len };

		bpf_map_update_elem(&egress_traffic, &key, &first, BPF_NOEXIST);
	}
	return 1;	/* allow */
}

/* GPL-compatible, so GPL-only helpers may be called; the source is MIT like the rest of bpfkit. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
