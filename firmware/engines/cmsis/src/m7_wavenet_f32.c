/**
 * @file m7_wavenet_f32.c
 * @brief One dilated WaveNet layer (NAM or gated form) over a block, streaming (fast-wavenet).
 *
 * The layer's state is a ring buffer of its last S = (kernel-1)*dilation input frames; the frame of
 * sample time tau lives in slot tau mod S (zero before the first sample). Tap j of the conv reads the
 * input delayed by D = (kernel-1-j)*dilation: from the ring for the block's first min(D, n) frames
 * (one or two contiguous runs: the ring wraps at most once) and from the block input after that.
 *
 * The pre-activation a (n frames of C, gated 2C, values, dense) is built by separate kernels, so that a
 * profile can tell them apart: m7_mix_f32 (bias + mixer), m7_conv_f32 (the dilated conv), then
 * m7_act_*_f32 (m7_act_f32.c) and m7_1x1_res_f32 (residual 1x1, plus the NAM head sum). Every output
 * value is one fmaf chain in a fixed order (bias, mixer channels, then tap by tap, channel by channel),
 * whatever the block split, so any split gives bit-identical output.
 */
#include <math.h>
#include <string.h>

#include "m7_engine_internal.h"

/* ------------------------------------------------------------------------------------- mixer */

/* a[i][o] = b[o] + sum_c mix_w[o][c] * cond[i][c] (b or mix_w may be NULL: 0) for i < n, o < cp. */
M7E_HOT static void m7_mix_f32(float *a, size_t cp, size_t n, const float *b, const float *mix_w,
                               m7_view_f32_t cond, size_t cond_ch)
{
    if (mix_w && cond_ch == 1u) { /* NAM: the mixer input is the audio */
        size_t o = 0;
        for (; o + 2u <= cp; o += 2u) { /* two outputs per pass: weights and biases stay in registers */
            const float b0 = b ? b[o] : 0.0f, b1 = b ? b[o + 1u] : 0.0f;
            const float m0 = mix_w[o], m1 = mix_w[o + 1u];
            const float *c = cond.p;
            float *y = a + o;
            for (size_t i = 0; i < n; i++, c += cond.stride, y += cp) {
                y[0] = fmaf(m0, c[0], b0);
                y[1] = fmaf(m1, c[0], b1);
            }
        }
        for (; o < cp; o++) {
            const float b0 = b ? b[o] : 0.0f, m0 = mix_w[o];
            for (size_t i = 0; i < n; i++) {
                a[i * cp + o] = fmaf(m0, cond.p[i * cond.stride], b0);
            }
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *c = cond.p + i * cond.stride;
        for (size_t o = 0; o < cp; o++) {
            float acc = b ? b[o] : 0.0f;
            if (mix_w) {
                for (size_t k = 0; k < cond_ch; k++) {
                    acc = fmaf(mix_w[o * cond_ch + k], c[k], acc);
                }
            }
            a[i * cp + o] = acc;
        }
    }
}

/* ------------------------------------------------------------------------------- dilated conv */

/*
 * The kernel-3 conv over one run of m frames whose three tap inputs are contiguous: tap j of frame i
 * is s[j] + i * st[j] (CIN values). a[i][o] += sum_j sum_c w[o][j][c] * s[j][i][c].
 * OUTS outputs by FR frames per pass: OUTS * 3 * CIN weights stay in registers for the whole run and
 * OUTS * FR independent accumulators hide the VFMA latency. Inlined into one function per CIN.
 */
static inline __attribute__((always_inline)) void conv3_run(float *a, size_t cp, size_t m,
                                                            const float *const s[3], const size_t st[3],
                                                            const float *w, size_t cin_, size_t outs,
                                                            size_t fr)
{
    const size_t cin = cin_, kc = 3u * cin; /* constants after inlining */
    for (size_t o = 0; o < cp; o += outs) {
        float wr[2][3 * 8];
        for (size_t u = 0; u < outs; u++) {
#pragma GCC unroll 24
            for (size_t q = 0; q < kc; q++) {
                wr[u][q] = w[(o + u) * kc + q];
            }
        }
        size_t i = 0;
        for (; i + fr <= m; i += fr) {
            float acc[4][2];
#pragma GCC unroll 4
            for (size_t f = 0; f < fr; f++) {
#pragma GCC unroll 2
                for (size_t u = 0; u < outs; u++) {
                    acc[f][u] = a[(i + f) * cp + o + u];
                }
            }
#pragma GCC unroll 3
            for (size_t j = 0; j < 3u; j++) {
#pragma GCC unroll 8
                for (size_t c = 0; c < cin; c++) {
#pragma GCC unroll 4
                    for (size_t f = 0; f < fr; f++) {
                        const float x = s[j][(i + f) * st[j] + c];
#pragma GCC unroll 2
                        for (size_t u = 0; u < outs; u++) {
                            acc[f][u] = fmaf(wr[u][j * cin + c], x, acc[f][u]);
                        }
                    }
                }
            }
#pragma GCC unroll 4
            for (size_t f = 0; f < fr; f++) {
#pragma GCC unroll 2
                for (size_t u = 0; u < outs; u++) {
                    a[(i + f) * cp + o + u] = acc[f][u];
                }
            }
        }
        for (; i < m; i++) { /* the last frames: the same chains, one frame at a time */
#pragma GCC unroll 2
            for (size_t u = 0; u < outs; u++) {
                float acc = a[i * cp + o + u];
#pragma GCC unroll 3
                for (size_t j = 0; j < 3u; j++) {
#pragma GCC unroll 8
                    for (size_t c = 0; c < cin; c++) {
                        acc = fmaf(wr[u][j * cin + c], s[j][i * st[j] + c], acc);
                    }
                }
                a[i * cp + o + u] = acc;
            }
        }
    }
}

/* One instance per channel count: 2 outputs x 2 frames up to 4 channels, 1 output x 4 frames at 8. */
M7E_HOT static void m7_conv3_c1_f32(float *a, size_t cp, size_t m, const float *const s[3], const size_t st[3],
                                    const float *w)
{
    conv3_run(a, cp, m, s, st, w, 1u, 2u, 2u);
}

M7E_HOT static void m7_conv3_c2_f32(float *a, size_t cp, size_t m, const float *const s[3], const size_t st[3],
                                    const float *w)
{
    conv3_run(a, cp, m, s, st, w, 2u, 2u, 2u);
}

M7E_HOT static void m7_conv3_c4_f32(float *a, size_t cp, size_t m, const float *const s[3], const size_t st[3],
                                    const float *w)
{
    conv3_run(a, cp, m, s, st, w, 4u, 2u, 2u);
}

M7E_HOT static void m7_conv3_c8_f32(float *a, size_t cp, size_t m, const float *const s[3], const size_t st[3],
                                    const float *w)
{
    conv3_run(a, cp, m, s, st, w, 8u, 1u, 4u);
}

/* Any kernel and channel count: one tap at a time, the same per-value fmaf order as conv3_run. */
M7E_HOT static void m7_conv_any_f32(float *a, size_t cp, size_t m, const float *src, size_t st,
                                    const float *wj, size_t ws, size_t cin)
{
    for (size_t i = 0; i < m; i++) {
        const float *x = src + i * st;
        for (size_t o = 0; o < cp; o++) {
            const float *wo = wj + o * ws;
            float acc = a[i * cp + o];
            for (size_t c = 0; c < cin; c++) {
                acc = fmaf(wo[c], x[c], acc);
            }
            a[i * cp + o] = acc;
        }
    }
}

/* Where tap j (delay D) reads frame i0 of the block: its pointer, stride, and how many frames from i0
 * stay contiguous (up to the ring's end, or the switch from the ring to the block input). */
typedef struct {
    const float *p;
    size_t stride, run;
} tap_src_t;

static tap_src_t tap_source(size_t i0, size_t delay, size_t pos, size_t s, const float *ring, size_t cin,
                            m7_view_f32_t x)
{
    tap_src_t r;
    if (i0 >= delay) {
        r.p = x.p + (i0 - delay) * x.stride;
        r.stride = x.stride;
        r.run = SIZE_MAX;
    } else {
        const size_t slot = (pos + s - delay + i0) % s; /* delay <= s */
        r.p = ring + slot * cin;
        r.stride = cin;
        r.run = (s - slot) < (delay - i0) ? (s - slot) : (delay - i0);
    }
    return r;
}

/* a += conv_d(x) over the block's n frames, cut into runs where every tap's input is contiguous. */
M7E_HOT static void m7_conv_f32(float *a, size_t cp, size_t n, const m7_op_f32_t *op, m7_view_f32_t x,
                                const float *ring, size_t pos)
{
    const m7_op_geom_t *g = &op->g;
    const size_t cin = g->in_ch, k = g->kernel, d = g->dilation, s = (k - 1u) * d;
    const size_t outs = cin <= 4u ? 2u : 1u;
    const int fast = k == 3u && (cin == 1u || cin == 2u || cin == 4u || cin == 8u) && cp % outs == 0u;
    for (size_t i0 = 0; i0 < n;) {
        size_t m = n - i0;
        if (fast) {
            const float *sp[3];
            size_t st[3];
            for (size_t j = 0; j < 3u; j++) {
                const tap_src_t t = tap_source(i0, (2u - j) * d, pos, s, ring, cin, x);
                sp[j] = t.p;
                st[j] = t.stride;
                m = t.run < m ? t.run : m;
            }
            float *ai = a + i0 * cp;
            switch (cin) {
            case 1u: m7_conv3_c1_f32(ai, cp, m, sp, st, op->w); break;
            case 2u: m7_conv3_c2_f32(ai, cp, m, sp, st, op->w); break;
            case 4u: m7_conv3_c4_f32(ai, cp, m, sp, st, op->w); break;
            default: m7_conv3_c8_f32(ai, cp, m, sp, st, op->w); break;
            }
        } else {
            for (size_t j = 0; j < k; j++) {
                const tap_src_t t = tap_source(i0, (k - 1u - j) * d, pos, s, ring, cin, x);
                m = t.run < m ? t.run : m;
            }
            for (size_t j = 0; j < k; j++) {
                const tap_src_t t = tap_source(i0, (k - 1u - j) * d, pos, s, ring, cin, x);
                m7_conv_any_f32(a + i0 * cp, cp, m, t.p, t.stride, op->w + j * cin, k * cin, cin);
            }
        }
        i0 += m;
    }
}

/* ------------------------------------------------------------------------ residual 1x1 (+ head) */

/*
 * dst[i][o] = (x[i][o] + res_b[o]) + sum_c res_w[o][c] * z[i][c] for o < C (res_w may be NULL: no
 * residual), and head[i][o] += z[i][o] when head is set (NAM). z: n frames of C values, dense.
 * dst may be x: each frame is read fully before it is written.
 */
static inline __attribute__((always_inline)) void res_run(m7_view_f32_t dst, m7_view_f32_t x, const float *z,
                                                          size_t n, size_t c_, const float *res_w,
                                                          const float *res_b, m7_view_f32_t head)
{
    const size_t c = c_;
    float wr[4 * 4], br[4];
#pragma GCC unroll 16
    for (size_t q = 0; q < c * c; q++) {
        wr[q] = res_w[q];
    }
#pragma GCC unroll 4
    for (size_t o = 0; o < c; o++) {
        br[o] = res_b ? res_b[o] : 0.0f;
    }
    for (size_t i = 0; i < n; i++) {
        const float *zi = z + i * c;
        const float *xi = x.p + i * x.stride;
        float acc[4], zv[4];
#pragma GCC unroll 4
        for (size_t o = 0; o < c; o++) {
            acc[o] = xi[o] + br[o];
            zv[o] = zi[o];
        }
#pragma GCC unroll 4
        for (size_t q = 0; q < c; q++) {
#pragma GCC unroll 4
            for (size_t o = 0; o < c; o++) {
                acc[o] = fmaf(wr[o * c + q], zv[q], acc[o]);
            }
        }
        float *di = dst.p + i * dst.stride;
#pragma GCC unroll 4
        for (size_t o = 0; o < c; o++) {
            di[o] = acc[o];
        }
        if (head.p) {
            float *hi = head.p + i * head.stride;
#pragma GCC unroll 4
            for (size_t o = 0; o < c; o++) {
                hi[o] += zv[o];
            }
        }
    }
}

M7E_HOT static void m7_1x1_res_f32(m7_view_f32_t dst, m7_view_f32_t x, const float *z, size_t n, size_t c,
                                   const float *res_w, const float *res_b, m7_view_f32_t head)
{
    if (res_w && c == 4u) {
        res_run(dst, x, z, n, 4u, res_w, res_b, head);
        return;
    }
    if (res_w && c == 2u) {
        res_run(dst, x, z, n, 2u, res_w, res_b, head);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const float *zi = z + i * c;
        if (res_w) { /* dst may be x: frame i of x is only read by frame i */
            const float *xi = x.p + i * x.stride;
            float *di = dst.p + i * dst.stride;
            for (size_t o = 0; o < c; o++) {
                float acc = xi[o] + (res_b ? res_b[o] : 0.0f);
                for (size_t q = 0; q < c; q++) {
                    acc = fmaf(res_w[o * c + q], zi[q], acc);
                }
                di[o] = acc; /* xi[o] is not read again: later outputs read only z */
            }
        }
        if (head.p) {
            float *hi = head.p + i * head.stride;
            for (size_t o = 0; o < c; o++) {
                hi[o] += zi[o];
            }
        }
    }
}

/* ---------------------------------------------------------------------------------- the layer */

M7E_HOT void m7_wavenet_layer_f32(const m7_op_f32_t *op, uint64_t t, size_t n, m7_view_f32_t x,
                                  m7_view_f32_t dst, m7_view_f32_t cond, m7_view_f32_t head, m7_view_f32_t skip,
                                  m7_view_f32_t tmp, float *ring)
{
    const m7_op_geom_t *g = &op->g;
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const size_t cin = g->in_ch, c = g->out_ch;
    const size_t cp = gated ? 2u * c : c;             /* pre-activation channels */
    const size_t s = (size_t)(g->kernel - 1u) * g->dilation; /* ring frames */
    const size_t pos = s ? (size_t)(t % s) : 0u;      /* ring slot of this block's first sample */
    float *a = tmp.p;                                 /* n frames of cp values, dense */

    m7_mix_f32(a, cp, n, op->b, op->mix_w, cond, op->mix_w ? g->cond_ch : 0u);
    m7_conv_f32(a, cp, n, op, x, ring, pos);

    /* keep the block's last S input frames (before the residual overwrites x) */
    if (s) {
        const size_t first = n > s ? n - s : 0u;
        size_t slot = (pos + first) % s;
        for (size_t i = first; i < n;) {
            const size_t run = (n - i) < (s - slot) ? (n - i) : (s - slot);
            if (x.stride == cin) {
                memcpy(ring + slot * cin, x.p + i * cin, run * cin * sizeof(float));
            } else {
                for (size_t r = 0; r < run; r++) {
                    memcpy(ring + (slot + r) * cin, x.p + (i + r) * x.stride, cin * sizeof(float));
                }
            }
            i += run;
            slot = 0u;
        }
    }

    /* z = activation(a), in place and dense (n frames of c); NAM: head += z, gated: skip[offset:] = z */
    const m7_view_f32_t no_head = {NULL, 0u};
    if (gated) {
        m7_act_gated_f32(a, a, n, c);
        for (size_t i = 0; i < n; i++) {
            memcpy(skip.p + i * skip.stride + g->skip_offset, a + i * c, c * sizeof(float));
        }
    } else {
        m7_act_tanh_f32(a, n * c);
    }
    if (op->res_w || !gated) {
        m7_1x1_res_f32(dst, x, a, n, c, op->res_w, op->res_b, gated ? no_head : head);
    }
}
