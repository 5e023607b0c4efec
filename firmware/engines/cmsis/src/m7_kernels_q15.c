/**
 * @file m7_kernels_q15.c
 * @brief Integer kernels of the q15 engine (mixer, dilated conv, 1x1 product, activations, stores),
 *        bit-exact with m7amp/export/_reference.py.
 *
 * Products go through smlad(): two 16x16 products added to an int32 accumulator, one SMLAD on the
 * Cortex-M7, the same wrapping sum in plain C elsewhere. The export proves the sums cannot overflow
 * (docs/engine.md "q15 path"), so wrapping never happens and the result is the exact integer sum.
 */
#include <string.h>

#include "m7_engine_q15_internal.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
static inline int32_t smlad(uint32_t x, uint32_t w, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)w, acc);
}
#else
static inline int32_t smlad(uint32_t x, uint32_t w, int32_t acc)
{
    const int32_t lo = (int32_t)(int16_t)(x & 0xFFFFu) * (int16_t)(w & 0xFFFFu);
    const int32_t hi = (int32_t)(int16_t)(x >> 16) * (int16_t)(w >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi); /* SMLAD's modulo-2^32 sum */
}
#endif

/* two adjacent int16 as one word (an unaligned LDR on the M7; the pair order does not matter) */
static inline uint32_t pair(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

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

int64_t m7_shift_round_q15(int64_t v, int s)
{
    if (s > 0) {
        /* arithmetic right shift (floor) of v + half: round half up, as numpy's >> on int64 */
        return (v + ((int64_t)1 << (s - 1))) >> s;
    }
    return v * ((int64_t)1 << -s); /* exact; a multiply avoids left-shifting a negative value (UB) */
}

int16_t m7_sat16(int64_t v)
{
    return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

int32_t m7_sat32(int64_t v)
{
    return (int32_t)(v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v));
}

/* round-half-up a * 2^-s for 0 < s: floor((floor(a / 2^(s-1)) + 1) / 2), which cannot overflow */
static inline int32_t rshift_round(int32_t a, int s)
{
    return s > 31 ? 0 : ((a >> (s - 1)) + 1) >> 1;
}

int16_t m7_store16_q15(int32_t a, int s)
{
    if (s > 0) {
        const int32_t v = rshift_round(a, s);
        return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
    }
    return m7_sat16(m7_shift_round_q15(a, s));
}

M7E_HOT void m7_1x1_q15(int32_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *w, size_t n,
                        size_t out, size_t in)
{
    for (size_t i = 0; i < n; i++) {
        const int16_t *xi = x + i * xs;
        int32_t *yi = y + i * ys;
        for (size_t o = 0; o < out; o++) {
            yi[o] = dot(xi, w + o * in, in, yi[o]);
        }
    }
}

M7E_HOT void m7_mix_q15(int32_t *y, size_t ys, const int32_t *b, const int16_t *cond, size_t cs,
                        const int16_t *w, size_t n, size_t out, size_t in)
{
    for (size_t i = 0; i < n; i++) {
        const int16_t *ci = cond + i * cs;
        int32_t *yi = y + i * ys;
        for (size_t o = 0; o < out; o++) {
            const int32_t a = b ? b[o] : 0;
            yi[o] = w ? dot(ci, w + o * in, in, a) : a;
        }
    }
}

M7E_HOT void m7_conv_q15(int32_t *y, size_t ys, const int16_t *x, size_t xs, const int16_t *ring, size_t pos,
                         const int16_t *w, size_t n, size_t out, size_t in, size_t k, size_t d)
{
    const size_t s = (k - 1u) * d, ws = k * in;
    for (size_t j = 0; j < k; j++) {
        const size_t delay = (k - 1u - j) * d;
        const int16_t *wj = w + j * in;
        /* frames i < delay read the ring: slot pos + i - delay, wrapped once (no per-frame modulo) */
        const size_t m = delay < n ? delay : n;
        size_t slot = pos >= delay ? pos - delay : pos + s - delay;
        for (size_t i = 0; i < m; i++) {
            const int16_t *xi = ring + slot * in;
            int32_t *yi = y + i * ys;
            for (size_t o = 0; o < out; o++) {
                yi[o] = dot(xi, wj + o * ws, in, yi[o]);
            }
            slot = (slot + 1u == s) ? 0u : slot + 1u;
        }
        for (size_t i = m; i < n; i++) {
            const int16_t *xi = x + (i - delay) * xs;
            int32_t *yi = y + i * ys;
            for (size_t o = 0; o < out; o++) {
                yi[o] = dot(xi, wj + o * ws, in, yi[o]);
            }
        }
    }
}

/* the table input: acc at acc_frac rounded to frac and clamped to +-M7_TANH_Q15_IN_MAX */
static inline int32_t act_input(int32_t acc, int s)
{
    if (s > 0) {
        const int32_t u = rshift_round(acc, s);
        return u > M7_TANH_Q15_IN_MAX ? M7_TANH_Q15_IN_MAX : (u < -M7_TANH_Q15_IN_MAX ? -M7_TANH_Q15_IN_MAX : u);
    }
    /* a left shift: clamping first gives the same result and cannot overflow */
    const int32_t lim = -s >= 20 ? 0 : (M7_TANH_Q15_IN_MAX >> -s);
    if (acc > lim) {
        return M7_TANH_Q15_IN_MAX;
    }
    if (acc < -lim) {
        return -M7_TANH_Q15_IN_MAX;
    }
    return lim ? (int32_t)((uint32_t)acc << -s) : 0;
}

/* odd: the table holds [0, 8); values in [-32767, 32767] */
static inline int32_t tanh_q16(int32_t u)
{
    const int32_t a = u < 0 ? -u : u;
    const int32_t i = a >> M7_TANH_Q15_SHIFT, f = a & ((1 << M7_TANH_Q15_SHIFT) - 1);
    const int32_t t0 = m7_tanh_table_q15[i];
    const int32_t t = t0 + (((m7_tanh_table_q15[i + 1] - t0) * f + (1 << (M7_TANH_Q15_SHIFT - 1))) >>
                            M7_TANH_Q15_SHIFT);
    return u < 0 ? -t : t;
}

static inline int16_t tanh_acc(int32_t acc, int acc_frac)
{
    return (int16_t)tanh_q16(act_input(acc, acc_frac - M7_TANH_Q15_IN_FRAC));
}

static inline int16_t sigmoid_acc(int32_t acc, int acc_frac)
{
    /* sigmoid(x) = (1 + tanh(x/2)) / 2, rounded half up; x/2 in Q16 is x in Q15 */
    const int32_t s = (tanh_q16(act_input(acc, acc_frac - (M7_TANH_Q15_IN_FRAC - 1))) + 32769) >> 1;
    return (int16_t)(s > INT16_MAX ? INT16_MAX : s);
}

int16_t m7_act_tanh_q15(int32_t acc, int acc_frac)
{
    return tanh_acc(acc, acc_frac);
}

int16_t m7_act_sigmoid_q15(int32_t acc, int acc_frac)
{
    return sigmoid_acc(acc, acc_frac);
}

M7E_HOT void m7_act_nam_q15(const int32_t *a, size_t as, int acc_frac, int16_t *z, size_t zs, int32_t *head,
                            size_t hs, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < c; o++) {
            const int16_t v = tanh_acc(a[i * as + o], acc_frac);
            z[i * zs + o] = v;
            head[i * hs + o] += v;
        }
    }
}

M7E_HOT void m7_act_gated_q15(const int32_t *a, size_t as, int acc_frac, int16_t *z, size_t zs, int16_t *skip,
                              size_t ss, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < c; o++) {
            const int32_t t = tanh_acc(a[i * as + o], acc_frac);
            const int32_t g = sigmoid_acc(a[i * as + c + o], acc_frac);
            const int16_t v = (int16_t)((t * g + (1 << 14)) >> 15); /* |t*g| < 2^30: fits int16 */
            z[i * zs + o] = v;
            skip[i * ss + o] = v;
        }
    }
}
