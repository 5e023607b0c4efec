/**
 * @file m7_kernels_q15.c
 * @brief Integer kernels of the q15 engine (mixer, dilated conv, 1x1 product, activations), bit-exact
 *        with m7amp/export/_reference.py.
 *
 * Products go through smlad(): two 16x16 products added to an int32 accumulator, one SMLAD on the
 * Cortex-M7 and the same modulo-2^32 sum in plain C elsewhere. The export proves the sums cannot
 * overflow (docs/engine.md "q15 path"), so they are exact. The products run 2 frames x 2 outputs at a
 * time: each loaded pair of inputs and of weights feeds two SMLADs.
 */
#include "m7_engine_q15_internal.h"

/* acc + sum_c x[c] * w[c] */
static inline int32_t dot(const int16_t *x, const int16_t *w, size_t n, int32_t acc)
{
    size_t c = 0;
    for (; c + 2u <= n; c += 2u) {
        acc = smlad(pair(x + c), pair(w + c), acc);
    }
    if (c < n) {
        acc += (int32_t)x[c] * w[c];
    }
    return acc;
}

/* round-half-up a * 2^-s for s > 0 as floor((floor(a / 2^(s-1)) + 1) / 2), which cannot overflow */
static inline int32_t rshift_round(int32_t a, int s)
{
    return s > 31 ? 0 : ((a >> (s - 1)) + 1) >> 1;
}

/* ------------------------------------------------------------------------------------- products */

/* y[i][o] += sum_c w[o][c] * x[i][c] (weight rows ws apart), 2 frames x 2 outputs per step; inlined
 * with a constant `in` below so the channel loop unrolls */
M7_INLINE void mm(int32_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *w, size_t ws, size_t n,
                  size_t out, size_t in)
{
    size_t i = 0;
    for (; i + 2u <= n; i += 2u) {
        const int16_t *x0 = x + i * xs, *x1 = x0 + xs;
        int32_t *y0 = y + i * ys, *y1 = y0 + ys;
        size_t o = 0;
        for (; o + 2u <= out; o += 2u) {
            const int16_t *w0 = w + o * ws, *w1 = w0 + ws;
            int32_t a00 = y0[o], a01 = y0[o + 1u], a10 = y1[o], a11 = y1[o + 1u];
            size_t c = 0;
#pragma GCC unroll 8
            for (; c + 2u <= in; c += 2u) {
                const uint32_t u0 = pair(x0 + c), u1 = pair(x1 + c), v0 = pair(w0 + c), v1 = pair(w1 + c);
                a00 = smlad(u0, v0, a00);
                a01 = smlad(u0, v1, a01);
                a10 = smlad(u1, v0, a10);
                a11 = smlad(u1, v1, a11);
            }
            if (c < in) {
                a00 += (int32_t)x0[c] * w0[c];
                a01 += (int32_t)x0[c] * w1[c];
                a10 += (int32_t)x1[c] * w0[c];
                a11 += (int32_t)x1[c] * w1[c];
            }
            y0[o] = a00;
            y0[o + 1u] = a01;
            y1[o] = a10;
            y1[o + 1u] = a11;
        }
        if (o < out) {
            y0[o] = dot(x0, w + o * ws, in, y0[o]);
            y1[o] = dot(x1, w + o * ws, in, y1[o]);
        }
    }
    if (i < n) {
        for (size_t o = 0; o < out; o++) {
            y[i * ys + o] = dot(x + i * xs, w + o * ws, in, y[i * ys + o]);
        }
    }
}

/* the (in, out) shapes of the presets' layers get a copy with constant sizes: no channel loops left */
#define MM_CASE(I, O)                                                                                      \
    if (in == (I) && out == (O)) {                                                                         \
        mm(y, ys, x, xs, w, ws, n, (O), (I));                                                              \
        return;                                                                                            \
    }

M7_INLINE void matmul_acc(int32_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *w, size_t ws,
                          size_t n, size_t out, size_t in)
{
    MM_CASE(2u, 2u) MM_CASE(2u, 4u) MM_CASE(4u, 4u) MM_CASE(4u, 8u) MM_CASE(8u, 8u) MM_CASE(8u, 16u)
    MM_CASE(16u, 16u) MM_CASE(16u, 32u)
    mm(y, ys, x, xs, w, ws, n, out, in);
}

/* The products, one non-inlined copy per layer kind so a profile can tell them apart; not M7E_HOT:
 * their constant-size copies would take much of the 16 KB ITCM shared with the f32 kernels. */
__attribute__((noinline)) static void m7_conv_products_q15(int32_t *y, size_t ys, const int16_t *x, size_t xs,
                                                           const int16_t *w, size_t ws, size_t n, size_t out,
                                                           size_t in)
{
    matmul_acc(y, ys, x, xs, w, ws, n, out, in);
}

__attribute__((noinline)) static void m7_1x1_products_q15(int32_t *y, size_t ys, const int16_t *x, size_t xs,
                                                          const int16_t *w, size_t n, size_t out, size_t in)
{
    matmul_acc(y, ys, x, xs, w, in, n, out, in); /* weight rows are `in` apart */
}

/* the residual 1x1 of a layer: y = sat16(round((b + x·2^k + w·z) · 2^-s)), k >= 0, 0 < s < 32 (the sum
 * fits int32: export); one frame per step, outputs in groups of G = min(C, 4): the z pairs loaded once
 * per frame, each sum b + (x << k) then SMLAD over the z and weight pairs; stored as words. C a constant
 * after inlining. */
M7_INLINE void res_1x1_k(const m7_1x1_q15_t *p, size_t n, size_t C_)
{
    const size_t C = C_, G = C < 4u ? C : 4u;
    const int s1 = p->shift - 1;
    const int sk = -p->res_shift;
    const int16_t *z = p->x, *x = p->res;
    int16_t *y = p->y16;
    for (size_t i = 0; i < n; i++, z += p->xs, x += p->rs, y += p->ys) {
        uint32_t zp[8];
#pragma GCC unroll 8
        for (size_t c = 0; c < C / 2u; c++) {
            zp[c] = pair(z + 2u * c);
        }
#pragma GCC unroll 4
        for (size_t o = 0; o < C; o += G) {
            int32_t a[4];
#pragma GCC unroll 4
            for (size_t g = 0; g < G; g++) {
                a[g] = p->b[o + g] + (int32_t)((uint32_t)(int32_t)x[o + g] << sk);
            }
#pragma GCC unroll 8
            for (size_t c = 0; c < C / 2u; c++) {
#pragma GCC unroll 4
                for (size_t g = 0; g < G; g++) {
                    a[g] = smlad(zp[c], pair(p->w + (o + g) * C + 2u * c), a[g]);
                }
            }
#pragma GCC unroll 4
            for (size_t g = 0; g < G; g += 2u) {
                const uint32_t v = pack(sat16_32(((a[g] >> s1) + 1) >> 1), sat16_32(((a[g + 1u] >> s1) + 1) >> 1));
                memcpy(y + o + g, &v, sizeof v);
            }
        }
    }
}

/* the presets' widths, one function each so a profile names them */
#define M7_1X1_RES_C(C)                                                                                    \
    static __attribute__((noinline)) void m7_1x1_res_c##C##_q15(const m7_1x1_q15_t *p, size_t n)              \
    {                                                                                                      \
        res_1x1_k(p, n, C##u);                                                                             \
    }
#if M7E_SPECIALISED
M7_1X1_RES_C(2)
M7_1X1_RES_C(4)
M7_1X1_RES_C(8)
M7_1X1_RES_C(16)
#endif /* M7E_SPECIALISED */

M7E_HOT void m7_1x1_q15(const m7_1x1_q15_t *p, size_t n)
{
    const size_t out = p->out, as = p->as;
    int32_t *acc = p->acc;
    /* the usual residual: even n, square, bias, a left-shifted x term, a right-shifted int16 store */
    if (n % 2u == 0u && p->in == out && p->b && p->res && p->res_shift <= 0 && p->y16 && p->shift > 0 &&
        p->shift <= 31) {
        switch (out) {
#if M7E_SPECIALISED
        case 2u: m7_1x1_res_c2_q15(p, n); return;
        case 4u: m7_1x1_res_c4_q15(p, n); return;
        case 8u: m7_1x1_res_c8_q15(p, n); return;
        case 16u: m7_1x1_res_c16_q15(p, n); return;
#endif /* M7E_SPECIALISED */
        default: break;
        }
    }
    /* start: bias, then the shifted residual term (fits int32: export) */
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < out; o++) {
            acc[i * as + o] = p->b ? p->b[o] : 0;
        }
    }
    if (p->res) {
        const int rs = p->res_shift;
        for (size_t i = 0; i < n; i++) {
            const int16_t *r = p->res + i * p->rs;
            int32_t *a = acc + i * as;
            if (rs > 0) {
                for (size_t o = 0; o < out; o++) {
                    a[o] += rshift_round(r[o], rs);
                }
            } else {
                for (size_t o = 0; o < out; o++) {
                    a[o] += (int32_t)((uint32_t)(int32_t)r[o] << -rs);
                }
            }
        }
    }
    m7_1x1_products_q15(acc, as, p->x, p->xs, p->w, n, out, p->in);
    const int s = p->shift;
    for (size_t i = 0; i < n; i++) {
        const int32_t *a = acc + i * as;
        if (p->y16 && s > 0 && s <= 31) {
            int16_t *y = p->y16 + i * p->ys;
            for (size_t o = 0; o < out; o++) {
                y[o] = (int16_t)sat16_32(((a[o] >> (s - 1)) + 1) >> 1);
            }
        } else if (p->y16) {
            for (size_t o = 0; o < out; o++) {
                p->y16[i * p->ys + o] = m7_sat16(m7_shift_round_q15(a[o], s));
            }
        } else {
            for (size_t o = 0; o < out; o++) {
                p->y32[i * p->ys + o] = m7_sat32(m7_shift_round_q15(a[o], s));
            }
        }
    }
}

/* y[i][o] = b[o] + w[o] * cond[i] (one conditioning channel, a bias): biases and weights loaded once,
 * one MLA per value (C a constant after inlining: the output loop unrolls) */
M7_INLINE void mix1(int32_t *y, size_t ys, const int32_t *b, const int16_t *cond, size_t cs, const int16_t *w,
                    size_t n, size_t C_)
{
    const size_t C = C_;
    int32_t br[16], wr[16];
    const int in_regs = C <= 16u;
    if (in_regs) {
#pragma GCC unroll 16
        for (size_t o = 0; o < C; o++) {
            br[o] = b[o];
            wr[o] = w[o];
        }
    }
    for (size_t i = 0; i < n; i++) {
        const int32_t v = cond[i * cs];
        int32_t *yi = y + i * ys;
#pragma GCC unroll 16
        for (size_t o = 0; o < C; o++) {
            yi[o] = in_regs ? br[o] + v * wr[o] : b[o] + v * w[o];
        }
    }
}

/* y[i][o] = b[o] (0 if NULL) + sum_c w[o][c] * x[i][c] */
static void bias_matmul(int32_t *y, size_t ys, const int32_t *b, const int16_t *x, size_t xs, const int16_t *w,
                        size_t n, size_t out, size_t in)
{
    for (size_t i = 0; i < n; i++) {
        int32_t *yi = y + i * ys;
        for (size_t o = 0; o < out; o++) {
            yi[o] = b ? b[o] : 0;
        }
    }
    if (w) {
        m7_1x1_products_q15(y, ys, x, xs, w, n, out, in);
    }
}

M7E_HOT void m7_rnn_1x1_q15(int32_t *y, size_t ys, const int32_t *b, const int16_t *x, size_t xs,
                            const int16_t *w, size_t n, size_t out, size_t in)
{
    bias_matmul(y, ys, b, x, xs, w, n, out, in);
}

/* mix1 for dense y (ys = C, the specialised layer path) and even C: two frames per step share each bias
 * load, and each weight pair (in registers) feeds four SMLABB/SMLATB; the same sums as mix1 */
M7_INLINE void mix1_dense(int32_t *y, const int32_t *b, const int16_t *cond, size_t cs, const int16_t *w, size_t n,
                          size_t C_)
{
    const size_t C = C_;
    uint32_t wp[8];
#pragma GCC unroll 8
    for (size_t k = 0; k < C / 2u; k++) {
        wp[k] = pair(w + 2u * k);
    }
    int32_t *const end = y + (n & ~(size_t)1u) * C;
    for (; y != end; y += 2u * C, cond += 2u * cs) {
        const int32_t c0 = cond[0], c1 = cond[cs];
#pragma GCC unroll 8
        for (size_t k = 0; k < C / 2u; k++) {
            const int32_t b0 = b[2u * k], b1 = b[2u * k + 1u];
            y[2u * k] = mla_lo(wp[k], c0, b0);
            y[2u * k + 1u] = mla_hi(wp[k], c0, b1);
            y[C + 2u * k] = mla_lo(wp[k], c1, b0);
            y[C + 2u * k + 1u] = mla_hi(wp[k], c1, b1);
        }
    }
    if (n % 2u) {
        const int32_t c0 = cond[0];
#pragma GCC unroll 8
        for (size_t k = 0; k < C / 2u; k++) {
            y[2u * k] = mla_lo(wp[k], c0, b[2u * k]);
            y[2u * k + 1u] = mla_hi(wp[k], c0, b[2u * k + 1u]);
        }
    }
}

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* mix1_dense for C = 4 / 8, audio with frame stride 1, four frames per step on the M7 (printed by
 * tools/gen_res_asm_q15.py; edit that): one audio word per two frames, SMLA<x><y> picking the weight and
 * audio halves, each result stored beside the next MAC; the same sums as mix1. y..end: whole 4-frame steps. */
void m7_mix4_c4_q15(int32_t *y, int32_t *end, const int16_t *cond, const int16_t *w, const int32_t *b);
void m7_mix4_c8_q15(int32_t *y, int32_t *end, const int16_t *cond, const int16_t *w, const int32_t *b);
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_mix4_c4_q15\n"
        ".hidden m7_mix4_c4_q15\n"
        ".type m7_mix4_c4_q15, %function\n"
        "m7_mix4_c4_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r4, [r3, #0]\n"
        "ldr r5, [r3, #4]\n"
        "ldr r3, [sp, #36]\n"
        "ldrd r6, r7, [r3]\n"
        "ldrd r10, r11, [r3, #8]\n"
        "1:\n"
        "ldr r8, [r2]\n"
        "ldr r9, [r2, #4]\n"
        "smlabb r12, r4, r8, r6\n"
        "smlatb lr, r4, r8, r7\n"
        "str r12, [r0, #0]\n"
        "smlabt r12, r4, r8, r6\n"
        "str lr, [r0, #4]\n"
        "smlatt lr, r4, r8, r7\n"
        "str r12, [r0, #16]\n"
        "smlabb r12, r4, r9, r6\n"
        "str lr, [r0, #20]\n"
        "smlatb lr, r4, r9, r7\n"
        "str r12, [r0, #32]\n"
        "smlabt r12, r4, r9, r6\n"
        "str lr, [r0, #36]\n"
        "smlatt lr, r4, r9, r7\n"
        "str r12, [r0, #48]\n"
        "smlabb r12, r5, r8, r10\n"
        "str lr, [r0, #52]\n"
        "smlatb lr, r5, r8, r11\n"
        "str r12, [r0, #8]\n"
        "smlabt r12, r5, r8, r10\n"
        "str lr, [r0, #12]\n"
        "smlatt lr, r5, r8, r11\n"
        "str r12, [r0, #24]\n"
        "smlabb r12, r5, r9, r10\n"
        "str lr, [r0, #28]\n"
        "smlatb lr, r5, r9, r11\n"
        "str r12, [r0, #40]\n"
        "smlabt r12, r5, r9, r10\n"
        "str lr, [r0, #44]\n"
        "smlatt lr, r5, r9, r11\n"
        "str r12, [r0, #56]\n"
        "str lr, [r0, #60]\n"
        "adds r2, r2, #8\n"
        "add r0, r0, #64\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_mix4_c4_q15, . - m7_mix4_c4_q15\n");
__asm__(".text\n"
        ".p2align 2\n"
        ".thumb\n"
        ".thumb_func\n"
        ".global m7_mix4_c8_q15\n"
        ".hidden m7_mix4_c8_q15\n"
        ".type m7_mix4_c8_q15, %function\n"
        "m7_mix4_c8_q15:\n"
        "push {r4-r11, lr}\n"
        "ldr r4, [r3, #0]\n"
        "ldr r5, [r3, #4]\n"
        "ldr r6, [r3, #8]\n"
        "ldr r7, [r3, #12]\n"
        "ldr r3, [sp, #36]\n"
        "1:\n"
        "ldr r8, [r2]\n"
        "ldr r9, [r2, #4]\n"
        "ldr r10, [r3, #0]\n"
        "ldr r11, [r3, #4]\n"
        "smlabb r12, r4, r8, r10\n"
        "smlatb lr, r4, r8, r11\n"
        "str r12, [r0, #0]\n"
        "smlabt r12, r4, r8, r10\n"
        "str lr, [r0, #4]\n"
        "smlatt lr, r4, r8, r11\n"
        "str r12, [r0, #32]\n"
        "smlabb r12, r4, r9, r10\n"
        "str lr, [r0, #36]\n"
        "smlatb lr, r4, r9, r11\n"
        "str r12, [r0, #64]\n"
        "smlabt r12, r4, r9, r10\n"
        "str lr, [r0, #68]\n"
        "smlatt lr, r4, r9, r11\n"
        "str r12, [r0, #96]\n"
        "ldr r10, [r3, #8]\n"
        "ldr r11, [r3, #12]\n"
        "smlabb r12, r5, r8, r10\n"
        "str lr, [r0, #100]\n"
        "smlatb lr, r5, r8, r11\n"
        "str r12, [r0, #8]\n"
        "smlabt r12, r5, r8, r10\n"
        "str lr, [r0, #12]\n"
        "smlatt lr, r5, r8, r11\n"
        "str r12, [r0, #40]\n"
        "smlabb r12, r5, r9, r10\n"
        "str lr, [r0, #44]\n"
        "smlatb lr, r5, r9, r11\n"
        "str r12, [r0, #72]\n"
        "smlabt r12, r5, r9, r10\n"
        "str lr, [r0, #76]\n"
        "smlatt lr, r5, r9, r11\n"
        "str r12, [r0, #104]\n"
        "ldr r10, [r3, #16]\n"
        "ldr r11, [r3, #20]\n"
        "smlabb r12, r6, r8, r10\n"
        "str lr, [r0, #108]\n"
        "smlatb lr, r6, r8, r11\n"
        "str r12, [r0, #16]\n"
        "smlabt r12, r6, r8, r10\n"
        "str lr, [r0, #20]\n"
        "smlatt lr, r6, r8, r11\n"
        "str r12, [r0, #48]\n"
        "smlabb r12, r6, r9, r10\n"
        "str lr, [r0, #52]\n"
        "smlatb lr, r6, r9, r11\n"
        "str r12, [r0, #80]\n"
        "smlabt r12, r6, r9, r10\n"
        "str lr, [r0, #84]\n"
        "smlatt lr, r6, r9, r11\n"
        "str r12, [r0, #112]\n"
        "ldr r10, [r3, #24]\n"
        "ldr r11, [r3, #28]\n"
        "smlabb r12, r7, r8, r10\n"
        "str lr, [r0, #116]\n"
        "smlatb lr, r7, r8, r11\n"
        "str r12, [r0, #24]\n"
        "smlabt r12, r7, r8, r10\n"
        "str lr, [r0, #28]\n"
        "smlatt lr, r7, r8, r11\n"
        "str r12, [r0, #56]\n"
        "smlabb r12, r7, r9, r10\n"
        "str lr, [r0, #60]\n"
        "smlatb lr, r7, r9, r11\n"
        "str r12, [r0, #88]\n"
        "smlabt r12, r7, r9, r10\n"
        "str lr, [r0, #92]\n"
        "smlatt lr, r7, r9, r11\n"
        "str r12, [r0, #120]\n"
        "str lr, [r0, #124]\n"
        "adds r2, r2, #8\n"
        "add r0, r0, #128\n"
        "cmp r0, r1\n"
        "bne 1b\n"
        "pop {r4-r11, pc}\n"
        ".size m7_mix4_c8_q15, . - m7_mix4_c8_q15\n");
#endif /* __ARM_FEATURE_DSP */

M7E_HOT void m7_mix_q15(int32_t *y, size_t ys, const int32_t *b, const int16_t *cond, size_t cs,
                        const int16_t *w, size_t n, size_t out, size_t in)
{
#if M7E_SPECIALISED
    if (in == 1u && b && w && ys == out) {
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
        if (cs == 1u && (out == 4u || out == 8u) && n >= 4u) {
            const size_t n4 = n & ~(size_t)3u;
            if (out == 4u) {
                m7_mix4_c4_q15(y, y + n4 * 4u, cond, w, b);
            } else {
                m7_mix4_c8_q15(y, y + n4 * 8u, cond, w, b);
            }
            y += n4 * out, cond += n4, n -= n4; /* the last 0-3 frames below */
            if (n == 0u) {
                return;
            }
        }
#endif /* __ARM_FEATURE_DSP */
        switch (out) {
        case 2u: mix1_dense(y, b, cond, cs, w, n, 2u); return;
        case 4u: mix1_dense(y, b, cond, cs, w, n, 4u); return;
        case 8u: mix1_dense(y, b, cond, cs, w, n, 8u); return;
        case 16u: mix1_dense(y, b, cond, cs, w, n, 16u); return;
        default: break;
        }
    }
#endif /* M7E_SPECIALISED */
    if (in == 1u && b && w) { /* the common case: audio only */
        switch (out) {
        case 2u: mix1(y, ys, b, cond, cs, w, n, 2u); return;
        case 4u: mix1(y, ys, b, cond, cs, w, n, 4u); return;
        case 6u: mix1(y, ys, b, cond, cs, w, n, 6u); return;
        case 8u: mix1(y, ys, b, cond, cs, w, n, 8u); return;
        case 12u: mix1(y, ys, b, cond, cs, w, n, 12u); return;
        case 16u: mix1(y, ys, b, cond, cs, w, n, 16u); return;
        default: mix1(y, ys, b, cond, cs, w, n, out); return;
        }
    }
    bias_matmul(y, ys, b, cond, cs, w, n, out, in);
}

M7E_HOT void m7_conv_q15(int32_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *ring, size_t pos,
                         const int16_t *w, size_t n, size_t out, size_t in, size_t k, size_t d)
{
    const size_t s = (k - 1u) * d, ws = k * in;
    for (size_t j = 0; j < k; j++) {
        const size_t delay = (k - 1u - j) * d;
        const int16_t *wj = w + j * in;
        /* frames i < delay read the ring from slot (pos - delay) mod S: one or two contiguous runs */
        const size_t m = delay < n ? delay : n;
        if (m) {
            const size_t p0 = pos >= delay ? pos - delay : pos + s - delay;
            const size_t m1 = (s - p0) < m ? (s - p0) : m;
            m7_conv_products_q15(y, ys, ring + p0 * in, in, wj, ws, m1, out, in);
            if (m > m1) {
                m7_conv_products_q15(y + m1 * ys, ys, ring, in, wj, ws, m - m1, out, in);
            }
        }
        if (n > delay) {
            m7_conv_products_q15(y + delay * ys, ys, x, xs, wj, ws, n - delay, out, in);
        }
    }
}

/* ---------------------------------------------------------------------------------- activations */

/* the table input: acc * 2^-s (s = acc_frac - table format) rounded, saturated to the table's bits */
static inline int32_t act_input(int32_t acc, int s)
{
    if (s > 0) {
        return sat_tanh_in(rshift_round(acc, s));
    }
    /* a left shift by k: saturating first gives the same result and cannot overflow */
    const int k = -s;
    const int32_t hi = ((int32_t)1 << (M7_TANH_Q15_IN_BITS - 1)) - 1, lo = -hi - 1;
    if (k >= M7_TANH_Q15_IN_BITS - 1) {
        return acc > 0 ? hi : (acc < 0 ? lo : 0); /* |acc| >= 1 reaches the limits */
    }
    const int32_t lim = (int32_t)1 << (M7_TANH_Q15_IN_BITS - 1 - k);
    if (acc >= lim) {
        return hi;
    }
    if (acc < -lim) {
        return lo;
    }
    return (int32_t)((uint32_t)acc << k);
}

/* tanh of a table input: (T[i] (2^9 - f) + T[i+1] f + 2^8) >> 9 = T[i] + ((T[i+1] - T[i]) f + 2^8) >> 9
 * from the packed word (tanh_word); values in [-32767, 32767] */
static inline int32_t tanh_in(int32_t u)
{
    const uint32_t a = (uint32_t)(u + ((int32_t)1 << (M7_TANH_Q15_IN_BITS - 1)));
    return tanh_word(m7_tanh_table_q15[a >> M7_TANH_Q15_SHIFT], a & ((1u << M7_TANH_Q15_SHIFT) - 1u));
}

/* sigmoid(x) = (1 + tanh(x/2)) / 2 rounded half up, at most 32767; x/2 in Q16 is x in Q15 */
static inline int32_t sigmoid_from_tanh(int32_t t)
{
    const int32_t g = (t + 32769) >> 1;
    return g > INT16_MAX ? INT16_MAX : g;
}

int16_t m7_act_tanh_q15(int32_t acc, int acc_frac)
{
    return (int16_t)tanh_in(act_input(acc, acc_frac - M7_TANH_Q15_IN_FRAC));
}

int16_t m7_act_sigmoid_q15(int32_t acc, int acc_frac)
{
    return (int16_t)sigmoid_from_tanh(tanh_in(act_input(acc, acc_frac - (M7_TANH_Q15_IN_FRAC - 1))));
}

/* z = tanh(a), head += z over n frames of C values (C a constant: unrolled), for 0 < s < 32 (the usual
 * formats): four values per step (C = 2: two frames), z stored as words */
M7_INLINE void nam_act(const int32_t *a, size_t as, int s, int16_t *z, size_t zs, int32_t *head, size_t hs,
                       size_t n, size_t C_)
{
    const size_t C = C_;
    const int s1 = s - 1;
    size_t i = 0;
    if (C == 2u) {
        for (; i + 2u <= n; i += 2u) {
            const int32_t *a0 = a + i * as, *a1 = a0 + as;
            int32_t *h0 = head + i * hs, *h1 = h0 + hs;
            const int32_t v[4] = {a0[0], a0[1], a1[0], a1[1]};
            int32_t t[4];
            tanh4(v, s1, t);
            const uint32_t z0 = pack(t[0], t[1]), z1 = pack(t[2], t[3]);
            memcpy(z + i * zs, &z0, sizeof z0);
            memcpy(z + (i + 1u) * zs, &z1, sizeof z1);
            h0[0] += t[0];
            h0[1] += t[1];
            h1[0] += t[2];
            h1[1] += t[3];
        }
    } else if (C % 4u == 0u) {
        for (; i < n; i++) {
            const int32_t *ai = a + i * as;
            int16_t *zi = z + i * zs;
            int32_t *hi = head + i * hs;
#pragma GCC unroll 4
            for (size_t o = 0; o < C; o += 4u) {
                int32_t t[4];
                tanh4(ai + o, s1, t);
                const uint32_t z0 = pack(t[0], t[1]), z1 = pack(t[2], t[3]);
                memcpy(zi + o, &z0, sizeof z0);
                memcpy(zi + o + 2u, &z1, sizeof z1);
                hi[o] += t[0];
                hi[o + 1u] += t[1];
                hi[o + 2u] += t[2];
                hi[o + 3u] += t[3];
            }
        }
    }
    for (; i < n; i++) { /* the rest: one value at a time */
        for (size_t o = 0; o < C; o++) {
            const int32_t v = tanh_in(sat_tanh_in(((a[i * as + o] >> s1) + 1) >> 1));
            z[i * zs + o] = (int16_t)v;
            head[i * hs + o] += v;
        }
    }
}

/* the presets' widths, one function each so a profile names them */
#define M7_ACT_NAM_C(C)                                                                                    \
    static __attribute__((noinline)) void m7_act_nam_c##C##_q15(const int32_t *a, size_t as, int s, int16_t *z, \
                                                              size_t zs, int32_t *head, size_t hs, size_t n) \
    {                                                                                                      \
        nam_act(a, as, s, z, zs, head, hs, n, C##u);                                                       \
    }
#if M7E_SPECIALISED
M7_ACT_NAM_C(2)
M7_ACT_NAM_C(4)
M7_ACT_NAM_C(8)
M7_ACT_NAM_C(16)
#endif /* M7E_SPECIALISED */

M7E_HOT void m7_act_nam_q15(const int32_t *a, size_t as, int acc_frac, int16_t *z, size_t zs, int32_t *head,
                            size_t hs, size_t n, size_t c)
{
    const int s = acc_frac - M7_TANH_Q15_IN_FRAC;
    if (s > 0 && s <= 31) {
        switch (c) {
#if M7E_SPECIALISED
        case 2u: m7_act_nam_c2_q15(a, as, s, z, zs, head, hs, n); return;
        case 4u: m7_act_nam_c4_q15(a, as, s, z, zs, head, hs, n); return;
        case 8u: m7_act_nam_c8_q15(a, as, s, z, zs, head, hs, n); return;
        case 16u: m7_act_nam_c16_q15(a, as, s, z, zs, head, hs, n); return;
#endif /* M7E_SPECIALISED */
        default: nam_act(a, as, s, z, zs, head, hs, n, c); return;
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < c; o++) {
            const int32_t v = tanh_in(act_input(a[i * as + o], s));
            z[i * zs + o] = (int16_t)v;
            head[i * hs + o] += v;
        }
    }
}

M7E_HOT void m7_act_gated_q15(const int32_t *a, size_t as, int acc_frac, int16_t *z, size_t zs, int16_t *skip,
                              size_t ss, size_t n, size_t c)
{
    const int st = acc_frac - M7_TANH_Q15_IN_FRAC, sg = st + 1;
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < c; o++) {
            const int32_t t = tanh_in(act_input(a[i * as + o], st));
            const int32_t g = sigmoid_from_tanh(tanh_in(act_input(a[i * as + c + o], sg)));
            const int16_t v = (int16_t)((t * g + (1 << 14)) >> 15); /* |t*g| < 2^30: fits int16 */
            z[i * zs + o] = v;
            skip[i * ss + o] = v;
        }
    }
}
