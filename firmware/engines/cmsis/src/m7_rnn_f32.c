/**
 * @file m7_rnn_f32.c
 * @brief Streaming LSTM and GRU cells (Keras semantics, GRU reset_after) over a block.
 *
 * The input part u = w * input + b is one matrix-matrix product over the whole block; the recurrent
 * part is inherently sequential, one matrix-vector product per frame. State: LSTM h[H] then c[H];
 * GRU h[H]. Gates are stacked in Keras order (LSTM i,f,g,o; GRU z,r,n).
 */
#include <math.h>
#include <string.h>

#include "m7_engine_internal.h"

/* In flash (plain noinline): ITCM is full with the WaveNet kernels (issue 13); the cell's loop stays in
 * the I-cache. */
__attribute__((noinline)) void m7_rnn_f32(const m7_op_f32_t *op, size_t n, m7_view_f32_t src,
                                          m7_view_f32_t dst, m7_view_f32_t tmp, float *state)
{
    const m7_op_geom_t *g = &op->g;
    const int lstm = g->kind == M7_OP_LSTM;
    const size_t hd = g->out_ch, gh = 3u * hd + (lstm ? hd : 0u); /* G*H */
    const size_t ts = tmp.stride;
    float *h = state;

    /* u = w * input + b for the whole block (frame i at tmp[i * ts], G*H values) */
    if (g->in_ch == 1u && op->b) { /* audio only: one fmaf per value, the same as the product below */
        for (size_t i = 0; i < n; i++) {
            const float x = src.p[i * src.stride];
            float *u = tmp.p + i * ts;
            for (size_t o = 0; o < gh; o++) {
                u[o] = fmaf(op->w[o], x, op->b[o]);
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            for (size_t o = 0; o < gh; o++) {
                tmp.p[i * ts + o] = op->b ? op->b[o] : 0.0f;
            }
        }
        m7_matmul_acc_f32(tmp.p, ts, src.p, src.stride, op->w, g->in_ch, n, gh, g->in_ch);
    }

    for (size_t i = 0; i < n; i++) {
        float *a = tmp.p + i * ts;
        if (lstm) {
            float *c = state + hd;
            m7_matvec_acc_f32(a, op->w_h, h, gh, hd); /* a += w_h * h */
            m7_act_sigmoid_f32(a, 2u * hd);                          /* i, f */
            m7_act_tanh_f32(a + 2u * hd, hd);                        /* g */
            m7_act_sigmoid_f32(a + 3u * hd, hd);                     /* o */
            for (size_t k = 0; k < hd; k++) {
                c[k] = a[hd + k] * c[k] + a[k] * a[2u * hd + k];
                a[2u * hd + k] = c[k]; /* g is used: its slot holds tanh(c) next */
            }
            m7_act_tanh_f32(a + 2u * hd, hd);
            for (size_t k = 0; k < hd; k++) {
                h[k] = a[3u * hd + k] * a[2u * hd + k];
            }
        } else {
            float *v = a + gh; /* v = w_h * h + b_h in the frame's second 3H */
            for (size_t o = 0; o < gh; o++) {
                v[o] = op->b_h ? op->b_h[o] : 0.0f;
            }
            m7_matvec_acc_f32(v, op->w_h, h, gh, hd);
            for (size_t k = 0; k < 2u * hd; k++) {
                a[k] += v[k];
            }
            m7_act_sigmoid_f32(a, 2u * hd); /* z, r */
            for (size_t k = 0; k < hd; k++) {
                a[2u * hd + k] += a[hd + k] * v[2u * hd + k];
            }
            m7_act_tanh_f32(a + 2u * hd, hd); /* n */
            for (size_t k = 0; k < hd; k++) {
                h[k] = a[k] * h[k] + (1.0f - a[k]) * a[2u * hd + k];
            }
        }
        memcpy(dst.p + i * dst.stride, h, hd * sizeof(float));
    }
}
