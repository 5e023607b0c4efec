/**
 * @file m7_wavenet_q15.c
 * @brief One dilated WaveNet layer (NAM or gated form) over a block in q15 arithmetic, streaming.
 *
 * Same ring-buffer scheme as m7_wavenet_f32.c (int16 frames, slot tau mod S). The arithmetic is the
 * reference's (docs/engine.md "q15 path"): acc = conv_b + mix_w·cond + conv_w·x in one int32
 * accumulator per channel (all terms already at acc_frac), the activation from the table, then
 * x = sat16(round((x·2^(res_acc-in) + res_b + res_w·z) · 2^(out-res_acc))).
 */
#include <stdint.h>
#include <string.h>

#include "m7_engine_q15_internal.h"

void m7_wavenet_layer_q15(const m7_op_q15_t *op, uint64_t t, size_t n, m7_view_q15_t x, m7_view_q15_t dst,
                          m7_view_q15_t cond, m7_view_q15_t head, m7_view_q15_t skip, int32_t *acc,
                          int16_t *z, size_t ts, int16_t *ring)
{
    const m7_op_geom_t *g = &op->g;
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const int paired = g->act == M7_ACT_GATED; /* gated layer, or a NAM layer with gating */
    const size_t cin = g->in_ch, c = g->out_ch, k = g->kernel, d = g->dilation;
    const size_t cp = paired ? 2u * c : c; /* pre-activation channels */
    const size_t s = (k - 1u) * d;        /* ring frames */
    const size_t pos = s == 0u ? 0u : (t >> 32) ? (size_t)(t % s) : (size_t)((uint32_t)t % (uint32_t)s);
    size_t as = ts; /* frame stride of acc */

    /* acc = conv_b + mix_w·cond + conv_w * x */
#if M7E_SPECIALISED
    if (k == 3u && cin % 2u == 0u && cp % 2u == 0u) {
        /* acc dense (cp values per frame); the conv in one pass over runs where every tap is contiguous */
        m7_conv3_run_q15_t runs[M7_CONV3_MAX_RUNS];
        size_t nruns = 0;
        for (size_t i0 = 0; i0 < n; nruns++) {
            m7_conv3_run_q15_t *run = &runs[nruns];
            run->m = n - i0;
            for (size_t j = 0; j < 3u; j++) {
                const size_t delay = (2u - j) * d;
                size_t len = SIZE_MAX;
                if (i0 >= delay) {
                    run->p[j] = x.p16 + (i0 - delay) * x.stride;
                    run->st[j] = x.stride;
                } else {
                    size_t slot = pos + i0 + (s - delay); /* < 2s */
                    slot = slot >= s ? slot - s : slot;
                    run->p[j] = ring + slot * cin;
                    run->st[j] = cin;
                    len = (s - slot) < (delay - i0) ? (s - slot) : (delay - i0);
                }
                run->m = len < run->m ? len : run->m;
            }
            i0 += run->m;
        }
        as = cp;
        m7_mix_q15(acc, as, op->b, cond.p16, cond.stride, op->mix_w, n, cp, g->cond_ch);
        m7_conv3_q15(acc, cp, runs, nruns, op->w, cin);
    } else
#endif /* M7E_SPECIALISED */
    {
        m7_mix_q15(acc, ts, op->b, cond.p16, cond.stride, op->mix_w, n, cp, g->cond_ch);
        m7_conv_q15(acc, ts, x.p16, x.stride, ring, pos, op->w, n, cp, cin, k, d);
    }

    /* keep the block's last S input frames (before the residual overwrites x) */
    if (s) {
        const size_t first = n > s ? n - s : 0u;
        size_t slot = pos + first;
        slot = slot >= s ? slot % s : slot; /* once per block */
        if (x.stride == cin) { /* compact X: at most two contiguous copies (the ring wraps once) */
            const size_t m1 = (n - first) < (s - slot) ? (n - first) : (s - slot);
            memcpy(ring + slot * cin, x.p16 + first * cin, m1 * cin * sizeof(int16_t));
            memcpy(ring, x.p16 + (first + m1) * cin, (n - first - m1) * cin * sizeof(int16_t));
        } else {
            for (size_t i = first; i < n; i++) {
                for (size_t ch = 0; ch < cin; ch++) {
                    ring[slot * cin + ch] = x.p16[i * x.stride + ch];
                }
                slot = (slot + 1u == s) ? 0u : slot + 1u;
            }
        }
    }

#if M7E_SPECIALISED
    if (!paired && op->res_w && op->res_b && x.p16 == dst.p16 && x.stride == dst.stride) {
        const m7_act_res_q15_t q = {.acc = acc, .as = as, .act_shift = op->acc_frac - M7_TANH_Q15_IN_FRAC,
                                    .head = head.p32, .hs = head.stride, .x = dst.p16, .xs = dst.stride,
                                    .w = op->res_w, .b = op->res_b, .res_left = op->res_acc_frac - op->in_frac,
                                    .res_mul = (int32_t)(1u << ((op->res_acc_frac - op->in_frac) & 31)),
                                    .shift = op->res_acc_frac - op->out_frac, .c = c, .z = z};
        if (m7_act_res_q15(&q, n)) {
            return;
        }
    }
#endif /* M7E_SPECIALISED */
    if (gated) {
        m7_act_gated_q15(acc, as, op->acc_frac, z, c, skip.p16 + g->skip_offset, skip.stride, n, c);
    } else if (paired) {
        m7_act_gated_head_q15(acc, as, op->acc_frac, z, head.p32, head.stride, n, c);
    } else {
        m7_act_nam_q15(acc, as, op->acc_frac, z, c, head.p32, head.stride, n, c);
    }

    if (op->res_w) {
        /* |x·2^(res_acc-in)| + |res_b| + 2^15·sum|res_w| < 2^31 (export), so the sum fits int32 */
        const m7_1x1_q15_t p = {.acc = acc, .as = ts, .x = z, .xs = c, .w = op->res_w, .out = c, .in = c, .b = op->res_b,
                                .res = x.p16, .rs = x.stride, .res_shift = op->in_frac - op->res_acc_frac,
                                .shift = op->res_acc_frac - op->out_frac, .y16 = dst.p16, .y32 = NULL,
                                .ys = dst.stride};
        m7_1x1_q15(&p, n);
    }
}
