/**
 * @file m7_act_res_q15.c
 * @brief m7_act_res_q15: a NAM layer's tanh, head sum and residual 1x1 fused, one frame at a time.
 *
 * For each frame: z = tanh(a) four values at a time (tanh4: the table tanh of docs/engine.md, "q15
 * path"), head += z, and x = sat16(round((res_b + x·2^k + res_w·z) · 2^-s)) with z still in registers
 * as int16 pairs (SMLAD operands); the residual sums start as res_b + (x << k) and take every z pair
 * with SMLAD. Nothing goes through memory between the activation and the residual, and the ALU-heavy
 * activation and the MAC-heavy residual interleave on the dual-issue pipeline. Same integers as
 * m7_act_nam_q15 + m7_1x1_q15, so the same bits as the numpy reference.
 *
 * Only the specialised widths (2, 4, 6, 8, 12, 16; C = 2 takes two frames per step) exist: the caller uses
 * the separate kernels otherwise.
 */
#include "m7_engine_q15_internal.h"

/* as in m7_wavenet_f32.c: GCC's first scheduling pass costs registers (and 5 % here) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif /* __GNUC__ */

/* one group of G = min(C, 4) residual outputs o..o+G-1 of one frame from the z pairs zp[C/2] */
M7_INLINE void res_group(int16_t *y, const int16_t *x, const uint32_t *zp, const int16_t *w, const int32_t *b,
                         size_t o, size_t C, size_t G, int32_t kmul, int s1)
{
    int32_t r[4];
#pragma GCC unroll 4
    for (size_t g = 0; g < G; g++) { /* x * 2^k (exact: export) as a MLA, not a shift */
        r[g] = (int32_t)((uint32_t)b[o + g] + (uint32_t)x[o + g] * (uint32_t)kmul);
    }
#pragma GCC unroll 8
    for (size_t c = 0; c < C / 2u; c++) {
#pragma GCC unroll 4
        for (size_t g = 0; g < G; g++) {
            r[g] = smlad(zp[c], pair(w + (o + g) * C + 2u * c), r[g]);
        }
    }
#pragma GCC unroll 4
    for (size_t g = 0; g < G; g += 2u) {
        const uint32_t v = pack(sat16_32(((r[g] >> s1) + 1) >> 1), sat16_32(((r[g + 1u] >> s1) + 1) >> 1));
        memcpy(y + o + g, &v, sizeof v);
    }
}

M7_INLINE void act_res(const m7_act_res_q15_t *q, size_t n, size_t C_)
{
    const size_t C = C_, as = q->as, hs = q->hs, xs = q->xs;
    const int sa1 = q->act_shift - 1, s1 = q->shift - 1;
    const int32_t sk = q->res_mul;
    const int32_t *a = q->acc;
    int32_t *head = q->head;
    int16_t *x = q->x;
    if (C == 2u) { /* two frames per step: one tanh4 */
        for (size_t i = 0; i + 2u <= n; i += 2u, a += 2u * as, head += 2u * hs, x += 2u * xs) {
            const int32_t v[4] = {a[0], a[1], a[as], a[as + 1u]};
            int32_t t[4];
            tanh4(v, sa1, t);
            head[0] += t[0];
            head[1] += t[1];
            head[hs] += t[2];
            head[hs + 1u] += t[3];
            const uint32_t z0 = pack(t[0], t[1]), z1 = pack(t[2], t[3]);
            res_group(x, x, &z0, q->w, q->b, 0u, 2u, 2u, sk, s1);
            res_group(x + xs, x + xs, &z1, q->w, q->b, 0u, 2u, 2u, sk, s1);
        }
        return; /* n is even (the caller checks) */
    }
    for (size_t i = 0; i < n; i++, a += as, head += hs, x += xs) {
        uint32_t zp[8];
#pragma GCC unroll 4
        for (size_t o = 0; o + 4u <= C; o += 4u) {
            int32_t t[4];
            tanh4(a + o, sa1, t);
            head[o] += t[0];
            head[o + 1u] += t[1];
            head[o + 2u] += t[2];
            head[o + 3u] += t[3];
            zp[o / 2u] = pack(t[0], t[1]);
            zp[o / 2u + 1u] = pack(t[2], t[3]);
        }
        if (C % 4u) { /* the last two values (C = 6): tanh4 on them twice */
            const size_t o = C - 2u;
            const int32_t v[4] = {a[o], a[o + 1u], a[o], a[o + 1u]};
            int32_t t[4];
            tanh4(v, sa1, t);
            head[o] += t[0];
            head[o + 1u] += t[1];
            zp[o / 2u] = pack(t[0], t[1]);
        }
#pragma GCC unroll 4
        for (size_t o = 0; o + 4u <= C; o += 4u) {
            res_group(x, x, zp, q->w, q->b, o, C, 4u, sk, s1);
        }
        if (C % 4u) {
            res_group(x, x, zp, q->w, q->b, C - 2u, C, 2u, sk, s1);
        }
    }
}

/* one function per width so a profile names them */
#define M7_ACT_RES_C(C)                                                                                    \
    static __attribute__((noinline)) void m7_act_res_c##C##_q15(const m7_act_res_q15_t *q, size_t n)        \
    {                                                                                                      \
        act_res(q, n, C##u);                                                                               \
    }
M7_ACT_RES_C(2)
M7_ACT_RES_C(4)
M7_ACT_RES_C(6)
M7_ACT_RES_C(8)
M7_ACT_RES_C(12)
M7_ACT_RES_C(16)

M7E_HOT int m7_act_res_q15(const m7_act_res_q15_t *q, size_t n)
{
    if (q->act_shift <= 0 || q->act_shift > 31 || q->res_left < 0 || q->res_left > 30 ||
        q->res_mul != (int32_t)1 << (q->res_left & 31) || q->shift <= 0 || q->shift > 31 ||
        (q->c == 2u && n % 2u)) {
        return 0;
    }
    switch (q->c) {
    case 2u: m7_act_res_c2_q15(q, n); return 1;
    case 4u: m7_act_res_c4_q15(q, n); return 1;
    case 6u: m7_act_res_c6_q15(q, n); return 1;
    case 8u: m7_act_res_c8_q15(q, n); return 1;
    case 12u: m7_act_res_c12_q15(q, n); return 1;
    case 16u: m7_act_res_c16_q15(q, n); return 1;
    default: return 0;
    }
}
