/**
 * @file m7_rnn_q15.c
 * @brief The GRU (Keras, reset_after; gates z, r, n) and LSTM (gates i, f, g, o) cells over a block in
 *        q15 arithmetic, bit-exact with m7amp/export/_reference.py.
 *
 * LSTM: a = b + w_in·input + w_h·h in one int32 format (export bound), i, f, o = sigmoid, g = tanh,
 * c = sat32(round((f·c + i·g) / 2^15)) (int32 Q15; f·c is a 64-bit product), h = round(o·tanh(c) / 2^15).
 *
 * GRU:
 * u = b_in + w_in·input for the whole block (one product), then per frame v = b_h + w_h·h, all four at
 * acc_frac in int32 (the export proves |u| + |v| fits), and
 *   z = sigmoid(u_z + v_z), r = sigmoid(u_r + v_r), n = tanh(u_n + round(r·v_n / 2^15)),
 *   h = sat16(round((z·h + (32768 - z)·n) / 2^15)).
 * |z·h| + |(32768 - z)·n| <= 2^30, so h's sum fits int32; r·v_n is the one 64-bit product per unit.
 */
#include <string.h>

#include "m7_engine_q15_internal.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
/* acc + x.lo * w.lo + x.hi * w.hi: one SMLAD (as in m7_kernels_q15.c) */
static inline int32_t rnn_smlad(uint32_t x, uint32_t w, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)w, acc);
}
#else
static inline int32_t rnn_smlad(uint32_t x, uint32_t w, int32_t acc)
{
    const int32_t lo = (int32_t)(int16_t)(x & 0xFFFFu) * (int16_t)(w & 0xFFFFu);
    const int32_t hi = (int32_t)(int16_t)(x >> 16) * (int16_t)(w >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
#endif

/* two adjacent int16 as one word (an unaligned LDR on the M7) */
static inline uint32_t rnn_pair(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The recurrent product of one frame: y[o] = y0[o] + sum_c w[o][c] * h[c] (rows `in` apart; y0 may be y).
 * Four outputs per pass share each loaded pair of h: 5 loads and 4 SMLADs per 8 MACs. The int32 sums are
 * exact (export bound), so their order does not change a bit. Inlined with a constant `in` below: the
 * rows are then fixed offsets from one pointer (no spilled row pointers). */
static inline __attribute__((always_inline)) void recur(int32_t *y, const int32_t *y0, const int16_t *h,
                                                        const int16_t *w, size_t out, size_t in)
{
    size_t o = 0;
    for (; o + 4u <= out; o += 4u) {
        const int16_t *w0 = w + o * in;
        int32_t a0 = y0[o], a1 = y0[o + 1u], a2 = y0[o + 2u], a3 = y0[o + 3u];
        size_t c = 0;
#pragma GCC unroll 4
        for (; c + 2u <= in; c += 2u) {
            const uint32_t u = rnn_pair(h + c);
            a0 = rnn_smlad(u, rnn_pair(w0 + c), a0);
            a1 = rnn_smlad(u, rnn_pair(w0 + in + c), a1);
            a2 = rnn_smlad(u, rnn_pair(w0 + 2u * in + c), a2);
            a3 = rnn_smlad(u, rnn_pair(w0 + 3u * in + c), a3);
        }
        if (c < in) {
            a0 += (int32_t)h[c] * w0[c];
            a1 += (int32_t)h[c] * w0[in + c];
            a2 += (int32_t)h[c] * w0[2u * in + c];
            a3 += (int32_t)h[c] * w0[3u * in + c];
        }
        y[o] = a0;
        y[o + 1u] = a1;
        y[o + 2u] = a2;
        y[o + 3u] = a3;
    }
    for (; o < out; o++) {
        int32_t a = y0[o];
        for (size_t c = 0; c < in; c++) {
            a += (int32_t)h[c] * w[o * in + c];
        }
        y[o] = a;
    }
}

static M7E_HOT void m7_rnn_1x1_recur_q15(int32_t *y, const int32_t *y0, const int16_t *h, const int16_t *w,
                                         size_t out, size_t in)
{
    switch (in) { /* the hidden sizes of `m7amp bench engine --rnn` */
    case 8u: recur(y, y0, h, w, out, 8u); return;
    case 12u: recur(y, y0, h, w, out, 12u); return;
    case 16u: recur(y, y0, h, w, out, 16u); return;
    case 24u: recur(y, y0, h, w, out, 24u); return;
    case 32u: recur(y, y0, h, w, out, 32u); return;
    default: recur(y, y0, h, w, out, in); return;
    }
}

/* u[i][o] = b[o] + sum_c w[o][c] * x[i][c], the block's input part; audio only (in == 1, the usual case)
 * is one multiply-add per value instead of the general product's set-up per frame */
static M7E_HOT void m7_rnn_1x1_input_q15(const m7_op_q15_t *op, size_t n, m7_view_q15_t src, int32_t *acc,
                                         size_t ts, size_t gh)
{
    if (op->g.in_ch != 1u || !op->b) {
        m7_rnn_1x1_q15(acc, ts, op->b, src.p16, src.stride, op->w, n, gh, op->g.in_ch);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const int32_t x = src.p16[i * src.stride];
        int32_t *u = acc + i * ts;
        for (size_t o = 0; o < gh; o++) {
            u[o] = op->b[o] + x * op->w[o];
        }
    }
}

void m7_gru_q15(const m7_op_q15_t *op, size_t n, m7_view_q15_t src, m7_view_q15_t dst, int32_t *acc, size_t ts,
                int16_t *h)
{
    const m7_op_geom_t *g = &op->g;
    const size_t hd = g->out_ch, gh = 3u * hd;
    const int af = op->acc_frac;
    m7_rnn_1x1_input_q15(op, n, src, acc, ts, gh);
    for (size_t i = 0; i < n; i++) {
        const int32_t *u = acc + i * ts;
        int32_t *v = acc + i * ts + gh;
        if (op->b_h) {
            m7_rnn_1x1_recur_q15(v, op->b_h, h, op->w_h, gh, hd);
        } else {
            memset(v, 0, gh * sizeof *v);
            m7_rnn_1x1_recur_q15(v, v, h, op->w_h, gh, hd);
        }
        for (size_t o = 0; o < hd; o++) {
            const int32_t z = m7_act_sigmoid_q15(u[o] + v[o], af);
            const int32_t r = m7_act_sigmoid_q15(u[hd + o] + v[hd + o], af);
            const int32_t rv = (int32_t)(((int64_t)r * v[2u * hd + o] + (1 << 14)) >> 15);
            const int32_t nn = m7_act_tanh_q15(u[2u * hd + o] + rv, af);
            h[o] = m7_sat16(((int64_t)(z * h[o] + (32768 - z) * nn) + (1 << 14)) >> 15);
            dst.p16[i * dst.stride + o] = h[o];
        }
    }
}

void m7_lstm_q15(const m7_op_q15_t *op, size_t n, m7_view_q15_t src, m7_view_q15_t dst, int32_t *acc,
                 size_t ts, int32_t *state)
{
    const m7_op_geom_t *g = &op->g;
    const size_t hd = g->out_ch;
    const int af = op->acc_frac;
    int32_t *c = state;
    int16_t *h = (int16_t *)(state + hd);
    m7_rnn_1x1_input_q15(op, n, src, acc, ts, 4u * hd);
    for (size_t t = 0; t < n; t++) {
        int32_t *a = acc + t * ts;
        m7_rnn_1x1_recur_q15(a, a, h, op->w_h, 4u * hd, hd);
        for (size_t o = 0; o < hd; o++) {
            const int64_t i = m7_act_sigmoid_q15(a[o], af), f = m7_act_sigmoid_q15(a[hd + o], af);
            const int64_t gg = m7_act_tanh_q15(a[2u * hd + o], af), og = m7_act_sigmoid_q15(a[3u * hd + o], af);
            c[o] = m7_sat32(m7_shift_round_q15(f * c[o] + i * gg, 15));
            h[o] = m7_sat16(m7_shift_round_q15(og * m7_act_tanh_q15(c[o], 15), 15));
        }
        for (size_t o = 0; o < hd; o++) { /* h feeds the next frame's product only after all units */
            dst.p16[t * dst.stride + o] = h[o];
        }
    }
}
