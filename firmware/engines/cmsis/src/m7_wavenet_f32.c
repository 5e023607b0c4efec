/**
 * @file m7_wavenet_f32.c
 * @brief One dilated WaveNet layer (NAM or gated form) over a block, streaming (fast-wavenet).
 *
 * The layer's state is a ring buffer of its last S = (kernel-1)*dilation input frames; the frame of
 * sample time tau lives in slot tau mod S (zero before the first sample). For a block of n frames each
 * conv tap j, delayed by D = (kernel-1-j)*dilation samples, reads at most three contiguous runs: the
 * ring (possibly wrapping once) for the first min(D, n) frames and the block input for the rest. Every
 * run is one matrix-matrix product, so the whole block goes through the layer at once.
 */
#include "m7_engine_internal.h"

M7E_HOT void m7_wavenet_layer_f32(const m7_op_f32_t *op, uint64_t t, size_t n, m7_view_f32_t x,
                          m7_view_f32_t dst, m7_view_f32_t cond, m7_view_f32_t head, m7_view_f32_t skip,
                          m7_view_f32_t tmp, float *ring)
{
    const m7_op_geom_t *g = &op->g;
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const size_t cin = g->in_ch, c = g->out_ch, k = g->kernel, d = g->dilation;
    const size_t cp = gated ? 2u * c : c; /* pre-activation channels */
    const size_t s = (k - 1u) * d;        /* ring frames */
    const size_t pos = s ? (size_t)(t % s) : 0u; /* ring slot of this block's first sample */
    const size_t ts = tmp.stride;

    /* a = b (+ mix_w * cond) */
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < cp; o++) {
            tmp.p[i * ts + o] = op->b ? op->b[o] : 0.0f;
        }
    }
    if (op->mix_w) {
        m7_matmul_acc_f32(tmp.p, ts, cond.p, cond.stride, op->mix_w, g->cond_ch, n, cp, g->cond_ch);
    }

    /* a += conv_d(x): per tap, the ring part then the block part */
    for (size_t j = 0; j < k; j++) {
        const size_t delay = (k - 1u - j) * d;
        const float *wj = op->w + j * cin;
        const size_t ws = k * cin;
        const size_t m = delay < n ? delay : n; /* frames that come from the ring */
        if (m) {
            const size_t p0 = (pos + s - delay) % s;
            const size_t m1 = (s - p0) < m ? (s - p0) : m; /* up to the ring's end */
            m7_matmul_acc_f32(tmp.p, ts, ring + p0 * cin, cin, wj, ws, m1, cp, cin);
            if (m > m1) { /* wrapped part */
                m7_matmul_acc_f32(tmp.p + m1 * ts, ts, ring, cin, wj, ws, m - m1, cp, cin);
            }
        }
        if (n > delay) {
            m7_matmul_acc_f32(tmp.p + delay * ts, ts, x.p, x.stride, wj, ws, n - delay, cp, cin);
        }
    }

    /* keep the block's last S input frames (before the residual overwrites x) */
    if (s) {
        const size_t first = n > s ? n - s : 0u;
        size_t slot = (pos + first) % s;
        for (size_t i = first; i < n; i++) {
            for (size_t ch = 0; ch < cin; ch++) {
                ring[slot * cin + ch] = x.p[i * x.stride + ch];
            }
            slot = (slot + 1u == s) ? 0u : slot + 1u;
        }
    }

    /* z = activation(a), in place; then NAM: head += z, gated: skip[offset:] = z */
    for (size_t i = 0; i < n; i++) {
        float *a = tmp.p + i * ts;
        if (gated) {
            m7_act_gated_f32(a, a, c);
            float *sk = skip.p + i * skip.stride + g->skip_offset;
            for (size_t o = 0; o < c; o++) {
                sk[o] = a[o];
            }
        } else {
            m7_act_tanh_f32(a, c);
            float *h = head.p + i * head.stride;
            for (size_t o = 0; o < c; o++) {
                h[o] += a[o];
            }
        }
    }

    /* dst = x + res_w * z + res_b (dst may be x: element-wise first, then accumulate) */
    if (op->res_w) {
        for (size_t i = 0; i < n; i++) {
            for (size_t o = 0; o < c; o++) {
                dst.p[i * dst.stride + o] = x.p[i * x.stride + o] + (op->res_b ? op->res_b[o] : 0.0f);
            }
        }
        m7_matmul_acc_f32(dst.p, dst.stride, tmp.p, ts, op->res_w, c, n, c, c);
    }
}
