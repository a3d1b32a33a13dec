typedef unsigned int __u32;
typedef unsigned long long __u64;
#define SEC(n) __attribute__((section(n), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
struct pkt_stats { __u64 packets; __u64 bytes; };
struct {
	__uint(type, 2);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pkt_stats);
} stats SEC(".maps");
struct xdp_md { __u32 data; __u32 data_end; __u32 data_meta; __u32 ingress_ifindex; __u32 rx_queue_index; __u32 egress_ifindex; };
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
SEC("xdp") int count_packets(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct pkt_stats *s = bpf_map_lookup_elem(&stats, &key);
	if (!s) return 2;
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, ctx->data_end - ctx->data);
	return 2;
}
char _license[] SEC("license") = "GPL";
