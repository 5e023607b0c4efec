/**
 * @file m7_wavenet_q15.c
 * @brief One dilated WaveNet layer (NAM or gated form) over a block in q15 arithmetic, streaming.
 *
 * Same ring-buffer scheme as m7_wavenet_f32.c (int16 frames, slot tau mod S). The arithmetic is the
 * reference's (docs/model-package.md, "q15 arithmetic"): each term of a sum is exact in int64 and
 * enters the accumulator with its own shift, activations see the exact accumulator value, stores round
 * half up and saturate.
 */
#include "m7_engine_internal.h"

void m7_wavenet_layer_q15(const m7_op_q15_t *op, uint64_t t, size_t n, m7_view_q15_t x, m7_view_q15_t dst,
                          m7_view_q15_t cond, m7_view_q15_t head, m7_view_q15_t skip, int64_t *acc,
                          int16_t *z, size_t ts, int16_t *ring)
{
    const m7_op_geom_t *g = &op->g;
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const size_t cin = g->in_ch, c = g->out_ch, k = g->kernel, d = g->dilation;
    const size_t cp = gated ? 2u * c : c; /* pre-activation channels */
    const size_t s = (k - 1u) * d;        /* ring frames */
    const size_t pos = s ? (size_t)(t % s) : 0u;
    const int af = op->acc_frac;

    /* acc = conv_d(x), exact: per tap, the ring part then the block part */
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < cp; o++) {
            acc[i * ts + o] = 0;
        }
    }
    for (size_t j = 0; j < k; j++) {
        const size_t delay = (k - 1u - j) * d;
        const int16_t *wj = op->w + j * cin;
        const size_t ws = k * cin;
        const size_t m = delay < n ? delay : n;
        if (m) {
            const size_t p0 = (pos + s - delay) % s;
            const size_t m1 = (s - p0) < m ? (s - p0) : m;
            m7_matmul_acc_q15(acc, ts, ring + p0 * cin, cin, wj, ws, m1, cp, cin);
            if (m > m1) {
                m7_matmul_acc_q15(acc + m1 * ts, ts, ring, cin, wj, ws, m - m1, cp, cin);
            }
        }
        if (n > delay) {
            m7_matmul_acc_q15(acc + delay * ts, ts, x.p16, x.stride, wj, ws, n - delay, cp, cin);
        }
    }

    /* keep the block's last S input frames (before the residual overwrites x) */
    if (s) {
        const size_t first = n > s ? n - s : 0u;
        size_t slot = (pos + first) % s;
        for (size_t i = first; i < n; i++) {
            for (size_t ch = 0; ch < cin; ch++) {
                ring[slot * cin + ch] = x.p16[i * x.stride + ch];
            }
            slot = (slot + 1u == s) ? 0u : slot + 1u;
        }
    }

    /* acc = conv + bias (+ mixer), each term shifted to acc_frac; then z = activation */
    const int conv_s = op->w_frac + op->in_frac - af;
    for (size_t i = 0; i < n; i++) {
        int64_t *a = acc + i * ts;
        int16_t *zi = z + i * ts;
        for (size_t o = 0; o < cp; o++) {
            int64_t v = m7_shift_round_q15(a[o], conv_s);
            if (op->b) {
                v += m7_shift_round_q15(op->b[o], op->b_frac - af);
            }
            if (op->mix_w) {
                const int64_t mx = m7_dot_q15(cond.p16 + i * cond.stride, op->mix_w + o * g->cond_ch, g->cond_ch);
                v += m7_shift_round_q15(mx, op->mix_w_frac + 15 - af);
            }
            a[o] = v;
        }
        if (gated) {
            int16_t *sk = skip.p16 + i * skip.stride + g->skip_offset;
            for (size_t o = 0; o < c; o++) {
                const int64_t th = m7_act_tanh_q15(a[o], af);
                const int64_t sg = m7_act_sigmoid_q15(a[c + o], af);
                zi[o] = (int16_t)m7_shift_round_q15(th * sg, 15); /* |t*s| <= 2^30: fits int16 */
                sk[o] = zi[o];
            }
        } else {
            int32_t *h = head.p32 + i * head.stride;
            for (size_t o = 0; o < c; o++) {
                zi[o] = m7_act_tanh_q15(a[o], af);
                h[o] += zi[o];
            }
        }
    }

    /* dst = sat16(round((res_w z + x + res_b) at res_acc_frac to out_frac)); dst may be x */
    if (op->res_w) {
        const int rf = op->res_acc_frac;
        for (size_t i = 0; i < n; i++) {
            for (size_t o = 0; o < c; o++) {
                acc[i * ts + o] = 0;
            }
        }
        m7_matmul_acc_q15(acc, ts, z, ts, op->res_w, c, n, c, c);
        for (size_t i = 0; i < n; i++) {
            for (size_t o = 0; o < c; o++) {
                int64_t v = m7_shift_round_q15(acc[i * ts + o], op->res_w_frac + 15 - rf);
                v += m7_shift_round_q15(x.p16[i * x.stride + o], op->in_frac - rf);
                if (op->res_b) {
                    v += m7_shift_round_q15(op->res_b[o], op->res_b_frac - rf);
                }
                dst.p16[i * dst.stride + o] = m7_sat16(m7_shift_round_q15(v, rf - op->out_frac));
            }
        }
    }
}
