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
#include "m7_engine_q15_internal.h"

void m7_gru_q15(const m7_op_q15_t *op, size_t n, m7_view_q15_t src, m7_view_q15_t dst, int32_t *acc, size_t ts,
                int16_t *h)
{
    const m7_op_geom_t *g = &op->g;
    const size_t hd = g->out_ch, gh = 3u * hd;
    const int af = op->acc_frac;
    m7_rnn_1x1_q15(acc, ts, op->b, src.p16, src.stride, op->w, n, gh, g->in_ch);
    for (size_t i = 0; i < n; i++) {
        const int32_t *u = acc + i * ts;
        int32_t *v = acc + i * ts + gh;
        m7_rnn_1x1_q15(v, gh, op->b_h, h, hd, op->w_h, 1u, gh, hd);
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
    m7_rnn_1x1_q15(acc, ts, op->b, src.p16, src.stride, op->w, n, 4u * hd, g->in_ch);
    for (size_t t = 0; t < n; t++) {
        int32_t *a = acc + t * ts;
        m7_rnn_1x1_acc_q15(a, h, op->w_h, 4u * hd, hd);
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
