r6 = r1
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = 0x0 ll
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+8
r1 = 1
lock *(u64 *)(r0 +0) += r1
r1 = *(u32 *)(r6 +0)
r2 = *(u32 *)(r6 +4)
r2 -= r1
r2 <<= 32
r2 >>= 32
lock *(u64 *)(r0 +8) += r2
r0 = 2
exit
