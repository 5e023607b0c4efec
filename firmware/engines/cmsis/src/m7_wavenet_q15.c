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

#if M7E_SPECIALISED
/* the runs of a kernel-3 conv over the block (m7_conv3_run_q15_t): where every tap is contiguous */
M7_INLINE size_t conv3_runs(m7_conv3_run_q15_t *runs, m7_view_q15_t x, const int16_t *ring, size_t pos,
                              size_t s, size_t d, size_t cin, size_t n)
{
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
    return nruns;
}
#endif /* M7E_SPECIALISED */

/* dst[0..k) = src[0..k) (int16). On the M7 four words per step when both are word-aligned and k is even:
 * the library memcpy's call and size dispatch took about 6 cycles per frame of these small copies. */
static inline void copy16(int16_t *dst, const int16_t *src, size_t k)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if ((((uintptr_t)dst | (uintptr_t)src) & 3u) == 0u && k % 2u == 0u) {
        if (k % 4u) {
            memcpy(dst, src, 4u);
            dst += 2;
            src += 2;
            k -= 2u;
        }
        if (k % 8u) {
            memcpy(dst, src, 8u);
            dst += 4;
            src += 4;
            k -= 4u;
        }
        size_t n4 = k / 8u; /* four words per step: half the loop overhead of two words */
        if (n4) {
            uint32_t a, b, c, e;
            __asm__ volatile("1:\n\t"
                             "ldmia %[s]!, {%[a], %[b], %[c], %[e]}\n\t"
                             "subs %[n], %[n], #1\n\t"
                             "stmia %[d]!, {%[a], %[b], %[c], %[e]}\n\t"
                             "bne 1b"
                             : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e), [s] "+&r"(src),
                               [d] "+&r"(dst), [n] "+&r"(n4)
                             :
                             : "cc", "memory");
        }
        return;
    }
#endif /* __ARM_FEATURE_DSP */
    memcpy(dst, src, k * sizeof(int16_t));
}

/* head[i][0..c) = 0 for the n frames (HEAD not zeroed before its first writer, run_chunk) */
static __attribute__((noinline)) void zero_head(m7_view_q15_t head, size_t n, size_t c)
{
    if (head.stride == c) {
        memset(head.p32, 0, n * c * sizeof(int32_t));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memset(head.p32 + i * head.stride, 0, c * sizeof(int32_t));
    }
}

/* keep the block's last S input frames in the ring (before the residual overwrites x) */
static void keep_ring(int16_t *ring, size_t pos, size_t s, size_t cin, m7_view_q15_t x, size_t n)
{
    const size_t first = n > s ? n - s : 0u;
    size_t slot = pos + first;
    slot = slot >= s ? slot % s : slot; /* once per block */
    if (x.stride == cin) { /* compact X: at most two contiguous copies (the ring wraps once) */
        const size_t m1 = (n - first) < (s - slot) ? (n - first) : (s - slot);
        copy16(ring + slot * cin, x.p16 + first * cin, m1 * cin);
        copy16(ring, x.p16 + (first + m1) * cin, (n - first - m1) * cin);
    } else {
        for (size_t i = first; i < n; i++) {
            for (size_t ch = 0; ch < cin; ch++) {
                ring[slot * cin + ch] = x.p16[i * x.stride + ch];
            }
            slot = (slot + 1u == s) ? 0u : slot + 1u;
        }
    }
}

#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* one frame of a 2-channel layer (m7_conv3_act_res_c2_q15's integers, or with res 0 m7_conv3_act_c2_q15's;
 * they take frames two at a time), for the odd frame of a run */
static void frame_c2(const m7_layer_q15_t *a, int res)
{
    const int16_t *w = (const int16_t *)a->w;
    const int32_t cond = a->cond[0];
    int32_t v[4];
    for (size_t o = 0; o < 2u; o++) {
        int32_t acc = a->w[o] + w[4u + o] * cond; /* b[o] + mix[o]·cond */
        for (size_t j = 0; j < 3u; j++) {
            const int16_t *p = j == 0u ? a->p0 : j == 1u ? a->p1 : a->p2;
            acc = smlad(pair(p), pair(w + 6u + 6u * o + 2u * j), acc);
        }
        v[o] = v[o + 2u] = acc;
    }
    int32_t t[4];
    tanh4(v, 31 - __builtin_ctz((uint32_t)a->ma), t); /* act_shift - 1 */
    a->head[0] += t[0];
    a->head[1] += t[1];
    if (!res) {
        memcpy(a->p0, a->p2, 2u * sizeof(int16_t)); /* as the asm: x into tap 0's frame */
        return;
    }
    const uint32_t z = pack(t[0], t[1]);
    int32_t r[2];
    for (size_t o = 0; o < 2u; o++) {
        const int32_t acc = (int32_t)((uint32_t)a->w[9u + o] + (uint32_t)a->p2[o] * (uint32_t)a->kmul);
        r[o] = smlad(z, pair(w + 22u + 2u * o), acc);
        r[o] = sat16_32(((r[o] >> (31 - __builtin_ctz((uint32_t)a->mr))) + 1) >> 1);
    }
    const uint32_t y = pack(r[0], r[1]);
    memcpy(a->p0, a->p2, 2u * sizeof(int16_t)); /* as the asm: x into tap 0's frame, then the output */
    memcpy(a->out, &y, sizeof y);
}

/* The fused path's checks that do not depend on the block (layer_small): C = 2 or 4 channels, kernel 3, one
 * conditioning channel, compact X (stride C), the formats the asm rounds (SMMULR by 2^(32 - sa), 2^(32 - shift)),
 * res: residual into x in place; with res 0 only C = 2 (d >= n is checked per block) */
M7_INLINE int small_ok(const m7_op_q15_t *op, m7_view_q15_t x, size_t s, size_t C, int res)
{
    const m7_op_geom_t *g = &op->g;
    const int sa = op->acc_frac - M7_TANH_Q15_IN_FRAC, left = op->res_acc_frac - op->in_frac;
    const int shift = op->res_acc_frac - op->out_frac;
    if (g->kernel != 3u || g->in_ch != C || g->cond_ch != 1u || x.stride != C || s == 0u || !op->b ||
        !op->mix_w || sa < 2 || sa > 31) { /* 2^(32 - sa) must be a positive int32 (SMMULR) */
        return 0;
    }
    return res ? op->res_b && left >= 0 && left <= 30 && shift >= 2 && shift <= 31 : C == 2u;
}

/* the exporter lays a q15 layer's arrays out as b[C] | mix[C] | conv[C][3][C] | rb[C] | rw[C][C] from one base
 * (the asm's offsets; one struct per layer, docs/model-package.md) */
M7_INLINE int small_packed(const m7_op_q15_t *op, size_t C, int res)
{
    return (const void *)op->mix_w == (const void *)(op->b + C) && (const void *)op->w == (const void *)(op->mix_w + C) &&
           (!res || ((const void *)op->res_b == (const void *)(op->w + 3u * C * C) &&
                     (const void *)op->res_w == (const void *)(op->res_b + C)));
}

/* A NAM layer of C = 2 or 4 channels (compact X, one conditioning channel, d >= 1) as one fused pass per run
 * (m7_conv3_act_res_c{2,4}_q15) over n frames; a holds the call's constants (ma, mr, kmul, cs, hs, w, mid).
 * Its output overwrites x in place (for d < n the taps read a copy, see below; `tmp` holds (s + n)·C int16).
 * res 0 (C = 2, d >= n only): a layer without residual (m7_conv3_act_c2_q15), x unchanged. */
M7_INLINE void small_runs(m7_layer_q15_t *a, size_t n, int16_t *x, const int16_t *cond, size_t cst, int32_t *head,
                          size_t hst, int16_t *tmp, int16_t *ring, size_t pos, size_t s, size_t d, size_t C, int res)
{
    /* d >= n: every tap 0 and 1 reads the ring, so the kernel's store of x into tap 0's frame is the whole
     * ring update and no frame reads x after its own: the output overwrites x in place. d < n: the ring's s
     * frames in time order, then x, are copied into lin (tmp), so that taps 0 and 1 read lin contiguously (one
     * run); tap 2 reads x itself and the output overwrites it in place (m7_conv3_act_res_c4x2_q15 stores its
     * output through p2); the ring update then reads the input from lin. */
    const int inplace = d >= n;
    int16_t *const lin = tmp;
    /* the runs (where every tap is contiguous, as conv3_runs finds them; d < n: one): a run ends where tap 1
     * (0) leaves the ring for x, at d (s = 2d), or where tap 0's ring slot pos + i wraps (s - pos) or tap 1's
     * slot pos + d + i (d - pos, for pos < d); cut[] holds those inside the block, sorted, then n */
    size_t cut[5], nc = 0;
    if (inplace) {
        const size_t cand[4] = {d, s, pos ? s - pos : 0u, pos < d ? d - pos : 0u};
        for (size_t k = 0; k < 4u; k++) {
            const size_t v = cand[k];
            if (v && v < n) {
                size_t j = nc++;
                for (; j && cut[j - 1u] > v; j--) {
                    cut[j] = cut[j - 1u];
                }
                cut[j] = v;
            }
        }
    } else {
        copy16(lin, ring + pos * C, (s - pos) * C);
        copy16(lin + (s - pos) * C, ring, pos * C);
        copy16(lin + s * C, x, n * C);
    }
    cut[nc++] = n;
    size_t i0 = 0;
    for (size_t r = 0; r < nc; r++) {
        const size_t m = cut[r] - i0;
        if (!m) {
            continue;
        }
        size_t slot0 = pos + i0, slot1 = pos + d + i0; /* < 2s */
        slot0 = slot0 >= s ? slot0 - s : slot0;
        slot1 = slot1 >= s ? slot1 - s : slot1;
        /* tap 0 reads the ring, x or lin, all writable */
        int16_t *const p0 = !inplace ? lin + i0 * C : i0 >= s ? x + (i0 - s) * C : ring + slot0 * C;
        const int16_t *const p1 = !inplace ? lin + (d + i0) * C : i0 >= d ? x + (i0 - d) * C : ring + slot1 * C;
        int16_t *const p2 = x + i0 * C; /* = out: the kernels read a frame's own x before storing over it */
        a->p0 = p0;
        a->p1 = p1;
        a->p2 = p2;
        a->cond = cond + i0 * cst;
        a->head = head + i0 * hst;
        a->out = (res ? x : tmp) + i0 * C;
        const size_t m2 = m & ~(size_t)1; /* frames two at a time, then the run's odd last frame */
        if (m2) {
            a->end = a->out + m2 * C;
            if (C == 4u) {
                m7_conv3_act_res_c4x2_q15(a);
            } else if (res) {
                m7_conv3_act_res_c2_q15(a);
            } else {
                m7_conv3_act_c2_q15(a);
            }
        }
        if (m & 1u) {
            a->p0 = p0 + m2 * C;
            a->p1 = p1 + m2 * C;
            a->p2 = p2 + m2 * C;
            a->cond = cond + (i0 + m2) * cst;
            a->head = head + (i0 + m2) * hst;
            a->out = (res ? x : tmp) + (i0 + m2) * C;
            if (C == 4u) {
                a->end = a->out + 4u;
                a->mid = m7_tanh_table_q15 + M7_TANH_Q15_POINTS / 2; /* the one-frame kernel's table */
                m7_conv3_act_res_c4_q15(a);
                a->mid = (const uint32_t *)(m7_tanh_ic_q15 + M7_TANH_Q15_POINTS);
            } else {
                frame_c2(a, res);
            }
        }
        i0 += m;
    }
    if (!inplace) {
        const m7_view_q15_t in = {.p16 = lin + s * C, .p32 = NULL, .stride = C};
        keep_ring(ring, pos, s, C, in, n);
    }
}

/* the call's constants of the fused kernels */
M7_INLINE void small_consts(m7_layer_q15_t *a, const m7_op_q15_t *op, size_t cst, size_t hst)
{
    a->ma = (int32_t)1 << ((32 - (op->acc_frac - M7_TANH_Q15_IN_FRAC)) & 31);
    a->mr = (int32_t)1 << ((32 - (op->res_acc_frac - op->out_frac)) & 31);
    a->kmul = (int32_t)1 << ((op->res_acc_frac - op->in_frac) & 31);
    a->cs = (int32_t)(cst * sizeof(int16_t));
    a->hs = (int32_t)(hst * sizeof(int32_t));
    a->mid = (const uint32_t *)(m7_tanh_ic_q15 + M7_TANH_Q15_POINTS); /* the two-frame kernels' table */
}

/* a layer's plan (m7_layer_plan_q15, m7_layer8_plan_q15): its buffers, ring and the call's constants */
M7_INLINE void plan_layer(m7_plan_q15_t *pl, const m7_op_q15_t *op, m7_view_q15_t x, m7_view_q15_t cond,
                          m7_view_q15_t head, int16_t *ring, size_t s, size_t c, int res)
{
    m7_layer_q15_t a;
    small_consts(&a, op, cond.stride, head.stride);
    pl->p0 = NULL;
    pl->p1 = NULL;
    pl->x = pl->out = pl->end = x.p16;
    pl->cond = cond.p16;
    pl->head = head.p32;
    pl->ring = ring;
    pl->ma = a.ma;
    pl->mr = a.mr;
    pl->kmul = a.kmul;
    pl->cs = a.cs;
    pl->hs = a.hs;
    pl->mid = a.mid;
    pl->s = (uint32_t)s;
    pl->d = op->g.dilation;
    pl->c = (uint8_t)c;
    pl->res = (uint8_t)res;
    if (c == 4u) { /* a frame pair's two conditioning values as one word, or the wrapper's fallback */
        pl->run = a.cs == 2 ? m7_conv3_act_res_c4x2_cs2_q15 : m7_conv3_act_res_c4x2_q15;
    } else if (c == 2u && a.cs == 2 && a.hs == 16) { /* one conditioning value per frame, HEAD of 4 channels */
        pl->run = res ? m7_conv3_act_res_c2_cd_q15 : m7_conv3_act_c2_cd_q15;
    } else {
        pl->run = c == 2u ? (res ? m7_conv3_act_res_c2_q15 : m7_conv3_act_c2_q15) : NULL;
    }
    pl->w = op->b;
}

/* layer_small of one block, unplanned: returns 0 (nothing written) if the layer or its formats are not covered */
M7_INLINE int layer_small(const m7_op_q15_t *op, size_t n, m7_view_q15_t x, m7_view_q15_t cond, m7_view_q15_t head,
                          int16_t *tmp, size_t ts, int16_t *ring, size_t pos, size_t s, size_t C, int res)
{
    const size_t d = op->g.dilation;
    if (!small_ok(op, x, s, C, res) || (!res && d < n)) {
        return 0;
    }
    if (d < n && (s + n) * C > 2u * n * ts) { /* lin does not fit tmp (exported models: ts >= 2C) */
        return 0;
    }
    /* a descriptor not laid out as the exporter does gets its arrays copied into one block here */
    int32_t w[M7_LAYER_WORDS(4u)];
    const int32_t *wp = op->b;
    if (!small_packed(op, C, res)) {
        int16_t *w16 = (int16_t *)(w + C);
        memcpy(w, op->b, C * sizeof(int32_t));
        memcpy(w16, op->mix_w, C * sizeof(int16_t));
        memcpy(w16 + C, op->w, 3u * C * C * sizeof(int16_t));
        if (res) {
            int32_t *rb = w + C + C / 2u + 3u * C * C / 2u;
            memcpy(rb, op->res_b, C * sizeof(int32_t));
            memcpy(rb + C, op->res_w, C * C * sizeof(int16_t));
        }
        wp = w;
    }
    m7_layer_q15_t a; /* every field set before each call (no zeroing memset) */
    small_consts(&a, op, cond.stride, head.stride);
    a.w = wp;
    small_runs(&a, n, x.p16, cond.p16, cond.stride, head.p32, head.stride, tmp, ring, pos, s, d, C, res);
    return 1;
}

#endif /* __ARM_FEATURE_DSP */

/* the ring slot of sample time t */
M7_INLINE size_t ring_pos(uint64_t t, size_t s)
{
    return s == 0u ? 0u : (s & (s - 1u)) == 0u ? (size_t)t & (s - 1u) /* s a power of 2: no divide */
         : (t >> 32) ? (size_t)(t % s) : (size_t)((uint32_t)t % (uint32_t)s);
}

int m7_layer_plan_q15(const m7_op_q15_t *op, m7_plan_q15_t *pl, m7_view_q15_t x, m7_view_q15_t dst,
                      m7_view_q15_t cond, m7_view_q15_t head, size_t ts, int16_t *ring)
{
    pl->w = NULL;
#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    const m7_op_geom_t *g = &op->g;
    const size_t c = g->out_ch, s = (g->kernel - 1u) * g->dilation;
    const int res = op->res_w != NULL;
    if (g->kind != M7_OP_NAM_LAYER || g->act == M7_ACT_GATED || (c != 4u && c != 2u) || ts < 2u * c ||
        !(res ? x.p16 == dst.p16 && x.stride == dst.stride : c == 2u) || !small_ok(op, x, s, c, res) ||
        !small_packed(op, c, res) || s > UINT32_MAX) {
        return 0;
    }
    plan_layer(pl, op, x, cond, head, ring, s, c, res);
    return 1;
#else  /* no fused kernels */
    (void)op, (void)x, (void)dst, (void)cond, (void)head, (void)ts, (void)ring;
    return 0;
#endif /* __ARM_FEATURE_DSP */
}

#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
#ifndef M7_RING_RUNS_D
#define M7_RING_RUNS_D(C) ((C) == 4u ? 2u : 8u)
#endif
/* m7_layer_planned_q15 other than the usual block: d < n by runs over the ring or by the ring and x copied into
 * lin, else small_runs */
static __attribute__((noinline)) int layer_planned_other(m7_plan_q15_t *pl, size_t pos, size_t n, int16_t *tmp)
{
    const size_t s = pl->s, d = pl->d;
    const size_t C = pl->c;
    if (n % 2u == 0u && d < n && s >= n && pos % 2u == 0u && d % 2u == 0u) {
        /* s >= n: runs over the ring itself, as for d >= n: frame i's taps 0 and 1 read ring slots pos + i and pos + i + d
         * (mod s), and the kernel's store of x into tap 0's slot keeps every frame a later one reads (frame i - d's
         * x is read from slot pos + i - d = pos + i + d), so the ring ends updated; a run ends where either slot
         * wraps (at pos 0: at d, two runs), even lengths since pos and d are even. Cheaper than lin's copies of
         * 2s + n frames while the runs are few: with s < n (d < n/2: n/d runs) each kernel call's ~40 cycles of
         * entry and exit cost more than the copies (nano, n = 32: d = 8 as runs cost 1.4 cycles/sample more) */
        m7_layer_q15_t a;
        memcpy(&a, pl, sizeof a);
        size_t slot0 = pos, slot1 = pos + d;
        slot1 = slot1 >= s ? slot1 - s : slot1;
        for (size_t i = 0; i < n;) {
            size_t m = n - i;
            m = s - slot0 < m ? s - slot0 : m;
            m = s - slot1 < m ? s - slot1 : m;
            a.p0 = pl->ring + slot0 * C;
            a.p1 = pl->ring + slot1 * C;
            a.end = a.out + m * C;
            pl->run(&a);
            i += m;
            a.p2 = a.out = a.end;
            a.cond = (const int16_t *)((const char *)a.cond + m * (size_t)a.cs);
            a.head = (int32_t *)((char *)a.head + m * (size_t)a.hs);
            slot0 += m;
            slot1 += m;
            slot0 = slot0 >= s ? slot0 - s : slot0;
            slot1 = slot1 >= s ? slot1 - s : slot1;
        }
        return 1;
    }
    if (n % 2u == 0u && d < n && pl->res) { /* one run over lin (small_runs); the plan is the argument block */
        int16_t *const x = pl->x;
        copy16(tmp, pl->ring + pos * C, (s - pos) * C);
        copy16(tmp + (s - pos) * C, pl->ring, pos * C);
        copy16(tmp + s * C, x, n * C);
        pl->p0 = tmp;
        pl->p1 = tmp + d * C;
        pl->end = pl->out + n * C;
        pl->run((const m7_layer_q15_t *)(const void *)pl);
        /* the ring takes the block's last s input frames (lin's last s), at most two copies */
        const size_t first = n > s ? n - s : 0u;
        size_t slot = pos + first;
        slot = (s & (s - 1u)) == 0u ? slot & (s - 1u) : slot % s;
        const size_t m1 = (n - first) < (s - slot) ? (n - first) : (s - slot);
        copy16(pl->ring + slot * C, tmp + (s + first) * C, m1 * C);
        copy16(pl->ring, tmp + (s + first + m1) * C, (n - first - m1) * C);
        return 1;
    }
    m7_layer_q15_t a;
    memcpy(&a, pl, sizeof a); /* the constants; small_runs sets every pointer per run */
    const size_t cst = (size_t)pl->cs / sizeof(int16_t), hst = (size_t)pl->hs / sizeof(int32_t);
    if (C == 4u) {
        small_runs(&a, n, pl->x, pl->cond, cst, pl->head, hst, tmp, pl->ring, pos, s, d, 4u, 1);
    } else if (pl->res) {
        small_runs(&a, n, pl->x, pl->cond, cst, pl->head, hst, tmp, pl->ring, pos, s, d, 2u, 1);
    } else if (d >= n) {
        small_runs(&a, n, pl->x, pl->cond, cst, pl->head, hst, tmp, pl->ring, pos, s, d, 2u, 0);
    } else {
        return 0;
    }
    return 1;
}
#endif /* __ARM_FEATURE_DSP */

size_t m7_layer_planned_q15(m7_plan_q15_t *pl, size_t count, uint64_t t, size_t n, int16_t *tmp)
{
#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    for (size_t k = 0; k < count; k++, pl++) {
        const size_t s = pl->s, d = pl->d;
        const size_t pos = ring_pos(t, s);
        /* the usual block: one run without odd frame, d >= n with neither tap's ring slots wrapping inside the
         * block; the plan is the kernel's argument block (out = p2 = x and the constants set at init) */
        if (n % 2u == 0u && d >= n && s - pos >= n && (pos >= d || d - pos >= n)) {
            const size_t C = pl->c;
            pl->p0 = pl->ring + pos * C;
            pl->p1 = pl->ring + (pos >= d ? pos - d : pos + d) * C;
            pl->end = pl->out + n * C;
            pl->run((const m7_layer_q15_t *)(const void *)pl);
        } else if (!layer_planned_other(pl, pos, n, tmp)) {
            return k;
        }
    }
    return count;
#else  /* no fused kernels */
    (void)pl, (void)count, (void)t, (void)n, (void)tmp;
    return 0;
#endif /* __ARM_FEATURE_DSP */
}

int m7_layer8_plan_q15(const m7_op_q15_t *op, m7_plan_q15_t *pl, m7_view_q15_t x, m7_view_q15_t dst,
                       m7_view_q15_t cond, m7_view_q15_t head, int16_t *ring)
{
    pl->w = NULL;
#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    const m7_op_geom_t *g = &op->g;
    const size_t s = (g->kernel - 1u) * g->dilation;
    const int sa = op->acc_frac - M7_TANH_Q15_IN_FRAC, left = op->res_acc_frac - op->in_frac;
    const int shift = op->res_acc_frac - op->out_frac;
    /* the cases layer_kernels runs by m7_mix_q15, m7_conv3_c8_q15 (compact) and act_res's C = 8 asm passes */
    if (g->kind != M7_OP_NAM_LAYER || g->act == M7_ACT_GATED || g->kernel != 3u || g->in_ch != 8u ||
        g->out_ch != 8u || g->cond_ch != 1u || s == 0u || s > UINT32_MAX || !op->b || !op->mix_w || !op->w ||
        !op->res_w || !op->res_b || x.p16 != dst.p16 || x.stride != 8u || dst.stride != 8u || head.stride != 8u ||
        !head.p32 || !small_packed(op, 8u, 1) || sa < 2 || sa > 31 || left < 0 || left > 30 || shift < 2 || shift > 31) {
        return 0;
    }
    plan_layer(pl, op, x, cond, head, ring, s, 8u, 1); /* res | 2: HEAD's first writer (plan_ops) */
    return 1;
#else  /* no asm kernels */
    (void)op, (void)x, (void)dst, (void)cond, (void)head, (void)ring;
    return 0;
#endif /* __ARM_FEATURE_DSP */
}

int m7_layer8_planned_q15(const m7_plan_q15_t *pl, uint64_t t, size_t n, int32_t *acc, int16_t *z, size_t ts)
{
#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    /* the packed weights (small_packed): b[8] | mix[8] | conv[8][3][8] | rb[8] | rw[8][8] */
    const int32_t *const b = pl->w;
    const int16_t *const mix = (const int16_t *)(b + 8);
    const int16_t *const cw = mix + 8;
    const int32_t *const rb = (const int32_t *)(cw + 3u * 64u);
    const int16_t *const rw = (const int16_t *)(rb + 8);
    const size_t s = pl->s, d = pl->d;
    if (n == 0u || n % 2u) {
        return 0;
    }
    const size_t pos = ring_pos(t, s);
    int16_t *const x = pl->x;
    const m7_view_q15_t xv = {.p16 = x, .p32 = NULL, .stride = 8u};
    m7_conv3_run_q15_t runs[M7_CONV3_MAX_RUNS];
    size_t nruns;
    const int store = s >= n; /* every frame's tap 0 reads the ring: the conv's store of x is the ring update */
    if (d >= n && s - pos >= n && (pos >= d || d - pos >= n)) {
        /* taps 0 and 1 read the ring and neither wraps inside the block (d >= n at block-aligned t): one run */
        runs[0] = (m7_conv3_run_q15_t){.m = n, .p = {pl->ring + pos * 8u, pl->ring + (pos >= d ? pos - d : pos + d) * 8u, x},
                                       .st = {8u, 8u, 8u}};
        nruns = 1u;
    } else if (store) {
        nruns = conv3_runs(runs, xv, pl->ring, pos, s, d, 8u, n);
        for (size_t r = 0; r < nruns; r++) {
            if (runs[r].m & 1u) {
                return 0; /* the asm takes two frames per step */
            }
        }
    } else if (pos == 0u && d % 2u == 0u) {
        /* s < n at pos 0 (n a multiple of s): tap 1 leaves the ring at d, tap 0 at s */
        const int16_t *const ring = pl->ring;
        runs[0] = (m7_conv3_run_q15_t){.m = d, .p = {ring, ring + d * 8u, x}, .st = {8u, 8u, 8u}};
        runs[1] = (m7_conv3_run_q15_t){.m = d, .p = {ring + d * 8u, x, x + d * 8u}, .st = {8u, 8u, 8u}};
        runs[2] = (m7_conv3_run_q15_t){.m = n - s, .p = {x, x + d * 8u, x + s * 8u}, .st = {8u, 8u, 8u}};
        nruns = 3u;
    } else {
        /* s < n otherwise (d = 1: runs of one frame): the ring's s frames in time order, then x[0..s), in z (free
         * until the tanh pass): the first s frames are one run over it (tap 2 reads x), the rest one run over x */
        if (2u * s * 8u > n * ts) {
            return 0;
        }
        int16_t *const lin = z;
        copy16(lin, pl->ring + pos * 8u, (s - pos) * 8u);
        copy16(lin + (s - pos) * 8u, pl->ring, pos * 8u);
        copy16(lin + s * 8u, x, s * 8u);
        runs[0] = (m7_conv3_run_q15_t){.m = s, .p = {lin, lin + d * 8u, x}, .st = {8u, 8u, 8u}};
        runs[1] = (m7_conv3_run_q15_t){.m = n - s, .p = {x, x + d * 8u, x + s * 8u}, .st = {8u, 8u, 8u}};
        nruns = 2u;
    }
    const size_t cst = (size_t)pl->cs / sizeof(int16_t);
    if (cst == 1u && n % 4u == 0u) {
        m7_mix4_c8_q15(acc, acc + n * 8u, pl->cond, mix, b);
    } else {
        m7_mix_q15(acc, 8u, b, pl->cond, cst, mix, n, 8u, 1u);
    }
    int32_t *y = acc;
    for (size_t r = 0; r < nruns; r++) {
        int32_t *const end = y + runs[r].m * 8u;
        if (store) {
            m7_conv3_run_c8s_q15(y, end, (int16_t *)runs[r].p[0], runs[r].p[1], runs[r].p[2], cw);
        } else {
            m7_conv3_run_c8_q15(y, end, runs[r].p[0], runs[r].p[1], runs[r].p[2], cw);
        }
        y = end;
    }
    if (!store) {
        keep_ring(pl->ring, pos, s, 8u, xv, n);
    }
    if (pl->res & 2u) {
        m7_act_tanh8s_q15(acc, pl->head, z, pl->ma, acc + n * 8u);
    } else {
        m7_act_tanh8_q15(acc, pl->head, z, pl->ma, acc + n * 8u);
    }
    m7_act_res2_c8_q15(x, z, rw, rb, x + n * 8u, pl->kmul, pl->mr);
    return 1;
#else  /* no asm kernels */
    (void)pl, (void)t, (void)n, (void)acc, (void)z, (void)ts;
    return 0;
#endif /* __ARM_FEATURE_DSP */
}

/* the layer by separate kernels (mixer, conv, activation, residual): out of line, so that inlining the fused
 * paths into m7_wavenet_layer_q15 does not lengthen the code the wide layers run (their flash fetches) */
static __attribute__((noinline)) void layer_kernels(const m7_op_q15_t *op, size_t pos, size_t n, m7_view_q15_t x,
                                                    m7_view_q15_t dst, m7_view_q15_t cond, m7_view_q15_t head,
                                                    int head_fresh, m7_view_q15_t skip, int32_t *acc, int16_t *z,
                                                    size_t ts, int16_t *ring)
{
    const m7_op_geom_t *g = &op->g;
    const int gated = g->kind == M7_OP_GATED_LAYER;
    const int paired = g->act == M7_ACT_GATED; /* gated layer, or a NAM layer with gating */
    const size_t cin = g->in_ch, c = g->out_ch, k = g->kernel, d = g->dilation;
    const size_t cp = paired ? 2u * c : c; /* pre-activation channels */
    const size_t s = (k - 1u) * d;        /* ring frames */
    size_t as = ts; /* frame stride of acc */
    int ring_done = 0; /* the conv updated the ring */

    /* acc = conv_b + mix_w·cond + conv_w * x */
#if M7E_SPECIALISED
    if (k == 3u && cin % 2u == 0u && cp % 2u == 0u) {
        /* acc dense (cp values per frame); the conv in one pass over runs where every tap is contiguous */
        m7_conv3_run_q15_t runs[M7_CONV3_MAX_RUNS];
        const size_t nruns = conv3_runs(runs, x, ring, pos, s, d, cin, n);
        as = cp;
        m7_mix_q15(acc, as, op->b, cond.p16, cond.stride, op->mix_w, n, cp, g->cond_ch);
        /* s >= n: every frame's tap 0 reads the ring, so x over tap 0's frame is the whole ring update */
        ring_done = m7_conv3_q15(acc, cp, runs, nruns, op->w, cin, s >= n);
    } else
#endif /* M7E_SPECIALISED */
    {
        m7_mix_q15(acc, ts, op->b, cond.p16, cond.stride, op->mix_w, n, cp, g->cond_ch);
        m7_conv_q15(acc, ts, x.p16, x.stride, ring, pos, op->w, n, cp, cin, k, d);
    }

    if (s && !ring_done) {
        keep_ring(ring, pos, s, cin, x, n);
    }

#if M7E_SPECIALISED
    if (!paired && op->res_w && op->res_b && x.p16 == dst.p16 && x.stride == dst.stride) {
        const m7_act_res_q15_t q = {.acc = acc, .as = as, .act_shift = op->acc_frac - M7_TANH_Q15_IN_FRAC,
                                    .head = head.p32, .hs = head.stride, .x = dst.p16, .xs = dst.stride,
                                    .w = op->res_w, .b = op->res_b, .res_left = op->res_acc_frac - op->in_frac,
                                    .res_mul = (int32_t)(1u << ((op->res_acc_frac - op->in_frac) & 31)),
                                    .shift = op->res_acc_frac - op->out_frac, .c = c, .z = z,
                                    .head_store = head_fresh};
        if (m7_act_res_q15(&q, n)) {
            return;
        }
    }
    if (!paired && !op->res_w) {
        if (head_fresh) { /* m7_act_head_q15 adds to head */
            zero_head(head, n, c);
            head_fresh = 0;
        }
        if (m7_act_head_q15(acc, as, op->acc_frac - M7_TANH_Q15_IN_FRAC, head.p32, head.stride, n, c)) {
            return; /* no residual: z is not needed */
        }
    }
#endif /* M7E_SPECIALISED */
    if (head_fresh && !gated) { /* the kernels below add to head */
        zero_head(head, n, c);
    }
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

void m7_wavenet_layer_q15(const m7_op_q15_t *op, uint64_t t, size_t n, m7_view_q15_t x, m7_view_q15_t dst,
                          m7_view_q15_t cond, m7_view_q15_t head, int head_fresh, m7_view_q15_t skip, int32_t *acc,
                          int16_t *z, size_t ts, int16_t *ring)
{
    const m7_op_geom_t *g = &op->g;
    const size_t s = (g->kernel - 1u) * g->dilation; /* ring frames */
    const size_t pos = ring_pos(t, s);
    if (head_fresh && g->out_ch != 8u) { /* only the 8-channel tanh pass stores (m7_act_tanh8s_q15) */
        zero_head(head, n, g->out_ch);
        head_fresh = 0;
    }
#if M7E_SPECIALISED && defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    const size_t c = g->out_ch;
    if ((c == 4u || c == 2u) && g->act != M7_ACT_GATED && g->kernel == 3u &&
        (op->res_w ? x.p16 == dst.p16 && x.stride == dst.stride : c == 2u)) {
        int16_t *const tmp = (int16_t *)acc;
        if (c == 4u ? layer_small(op, n, x, cond, head, tmp, ts, ring, pos, s, 4u, 1)
            : op->res_w ? layer_small(op, n, x, cond, head, tmp, ts, ring, pos, s, 2u, 1)
                        : layer_small(op, n, x, cond, head, tmp, ts, ring, pos, s, 2u, 0)) {
            return;
        }
    }
#endif /* __ARM_FEATURE_DSP */
    layer_kernels(op, pos, n, x, dst, cond, head, head_fresh, skip, acc, z, ts, ring);
}
