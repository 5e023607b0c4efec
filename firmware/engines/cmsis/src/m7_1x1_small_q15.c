/**
 * @file m7_1x1_small_q15.c
 * @brief m7_1x1_small_q15: a WaveNet's own 1x1 ops (rechannel, head) for the presets' shapes.
 *
 * y[i][o] = sat(round((b[o] + sum_c w[o][c] x[i][c]) · 2^-shift)) frame by frame, with the input
 * (int16, or int32 HEAD converted on the fly to sat16(round(v · 2^-x_shift))) read once per frame,
 * weights and biases in registers where they fit, the frame's sums kept until all are done (so an
 * in-place op is safe while a frame's outputs end before the next frame's input), and constant
 * sizes. The integers are m7_1x1_q15's (the sum fits int32: export), so the bits are the reference's.
 */
#include "m7_engine_q15_internal.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "rename-registers")
#endif /* __GNUC__ */

/* floor(v / 2^s + 1/2) for m = 2^(32 - s), 2 <= s <= 31: the reference's ((v >> (s - 1)) + 1) >> 1 (one SMMULR
 * on the M7, (v·m + 2^31) >> 32, instead of ASR, ADD and ASR on the one shifter) */
static inline int32_t round_mul(int32_t v, int32_t m)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(v), "r"(m));
    return r;
#else  /* !__ARM_FEATURE_DSP */
    return (int32_t)(((int64_t)v * m + ((int64_t)1 << 31)) >> 32);
#endif /* __ARM_FEATURE_DSP */
}

/* the frame loop; X32 (int32 input) and Y32 (int32 output) are constants after inlining */
M7_INLINE void small_loop(const m7_1x1_small_q15_t *p, size_t n, size_t in_, size_t out_, const int32_t *br,
                          int x32_, int y32_)
{
    const size_t in = in_, out = out_, xs = p->xs, ys = p->ys;
    const int x32 = x32_, y32 = y32_;
    const int s1 = p->shift - 1;
    const int32_t mx = x32 ? (int32_t)(1u << (32 - p->x_shift)) : 0; /* the int32 input's rounding */
    const int16_t *x = p->x;
    const int32_t *v = p->x32;
    int16_t *y16 = p->y16;
    int32_t *yw = p->y32;
    for (size_t i = 0; i < n; i++) {
        uint32_t xp[8]; /* the frame's input as int16 pairs */
        int32_t x1 = 0; /* or its single value (in = 1) */
        if (x32) {
            int32_t r[16];
#pragma GCC unroll 16
            for (size_t c = 0; c < in; c++) { /* the roundings first: SSAT waits for SMMULR's result */
                r[c] = round_mul(v[c], mx);
            }
#pragma GCC unroll 16
            for (size_t c = 0; c < in; c += 2u) {
                const int32_t lo = sat16_32(r[c]);
                xp[c / 2u] = pack(lo, c + 1u < in ? sat16_32(r[c + 1u]) : 0);
                x1 = lo;
            }
            v += xs;
        } else if (in == 1u) {
            x1 = x[0];
            x += xs;
        } else {
#pragma GCC unroll 8
            for (size_t c = 0; c < in; c += 2u) {
                xp[c / 2u] = pair(x + c);
            }
            x += xs;
        }
        int32_t a[16];
#pragma GCC unroll 16
        for (size_t o = 0; o < out; o++) {
            int32_t s = br[o];
            if (in == 1u) {
                s += x1 * p->w[o];
            } else {
#pragma GCC unroll 8
                for (size_t c = 0; c < in; c += 2u) {
                    s = smlad(xp[c / 2u], pair(p->w + o * in + c), s);
                }
            }
            a[o] = ((s >> s1) + 1) >> 1; /* |s| < 2^31: an int32 result needs no saturation */
        }
        if (y32) {
#pragma GCC unroll 16
            for (size_t o = 0; o < out; o++) {
                yw[o] = a[o];
            }
            yw += ys;
        } else {
#pragma GCC unroll 16
            for (size_t o = 0; o < out; o++) {
                y16[o] = (int16_t)sat16_32(a[o]);
            }
            y16 += ys;
        }
    }
}

M7_INLINE void small(const m7_1x1_small_q15_t *p, size_t n, size_t in, size_t out)
{
    int32_t br[16];
#pragma GCC unroll 16
    for (size_t o = 0; o < out; o++) {
        br[o] = p->b ? p->b[o] : 0;
    }
    if (p->x32) {
        if (p->y32) {
            small_loop(p, n, in, out, br, 1, 1);
        } else {
            small_loop(p, n, in, out, br, 1, 0);
        }
    } else if (p->y32) {
        small_loop(p, n, in, out, br, 0, 1);
    } else {
        small_loop(p, n, in, out, br, 0, 0);
    }
}

/* one function per shape so a profile names them */
#define M7_1X1_SMALL(I, O)                                                                                 \
    static __attribute__((noinline)) void m7_1x1_small_##I##x##O##_q15(const m7_1x1_small_q15_t *p, size_t n) \
    {                                                                                                      \
        small(p, n, I##u, O##u);                                                                           \
    }
M7_1X1_SMALL(1, 2)
M7_1X1_SMALL(1, 4)
M7_1X1_SMALL(1, 8)
M7_1X1_SMALL(1, 12)
M7_1X1_SMALL(1, 16)
M7_1X1_SMALL(4, 2)
M7_1X1_SMALL(8, 4)
M7_1X1_SMALL(12, 6)
M7_1X1_SMALL(16, 8)
M7_1X1_SMALL(2, 1)
M7_1X1_SMALL(4, 1)
M7_1X1_SMALL(6, 1)
M7_1X1_SMALL(8, 1)

#define M7_SHAPE(I, O)                                                                                     \
    if (p->in == I##u && p->out == O##u) {                                                                 \
        m7_1x1_small_##I##x##O##_q15(p, n);                                                                \
        return 1;                                                                                          \
    }

M7E_HOT int m7_1x1_small_q15(const m7_1x1_small_q15_t *p, size_t n)
{
    const void *src = p->x32 ? (const void *)p->x32 : (const void *)p->x;
    const void *dst = p->y16 ? (const void *)p->y16 : (const void *)p->y32;
    const int same_type = (p->x32 != NULL) == (p->y32 != NULL);
    if (p->shift <= 0 || p->shift > 31 || (p->x32 && (p->x_shift < 2 || p->x_shift > 31)) /* round_mul */ ||
        (same_type && src == dst && (p->ys > p->xs || p->out > p->xs))) {
        return 0;
    }
    M7_SHAPE(1, 2) M7_SHAPE(1, 4) M7_SHAPE(1, 8) M7_SHAPE(1, 12) M7_SHAPE(1, 16)
    M7_SHAPE(4, 2) M7_SHAPE(8, 4) M7_SHAPE(12, 6) M7_SHAPE(16, 8)
    M7_SHAPE(2, 1) M7_SHAPE(4, 1) M7_SHAPE(6, 1) M7_SHAPE(8, 1)
    return 0;
}
