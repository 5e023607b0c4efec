/**
 * @file m7_engine_q15.c
 * @brief The q15 engine API: init (all validation happens here, once), process, reset, queries.
 *
 * Same structure as m7_engine_f32.c: process() cuts the signal into chunks of up to max_block samples,
 * fills the block buffers (INPUT = audio and knobs per frame, HEAD zeroed) and runs every op over the
 * whole chunk. It runs the WaveNet ops (1x1, NAM and gated layers, output) and the GRU and LSTM
 * cells.
 */
#include <string.h>

#include "m7_engine_q15_internal.h"

/* Scratch regions, in order of decreasing alignment, each max_block frames (see m7_engine.h). */
typedef struct {
    int32_t *acc;   /* scratch_len int32 accumulators */
    int32_t *head;  /* head_len */
    int32_t *out;   /* 1 */
    int16_t *z;     /* scratch_len: activations, converted HEAD */
    int16_t *input; /* n_inputs */
    int16_t *x, *skip, *h;
} regions_t;

static size_t frame_bytes(const m7_model_t *m)
{
    return 4u * m->scratch_len + 4u * ((size_t)m->head_len + 1u) +
           2u * ((size_t)m->scratch_len + m->n_inputs + m->x_len + m->skip_len + m->h_len);
}

static regions_t regions(const m7_model_t *m, void *scratch, size_t b)
{
    regions_t r;
    r.acc = scratch;
    r.head = r.acc + b * m->scratch_len;
    r.out = r.head + b * m->head_len;
    r.z = (int16_t *)(r.out + b);
    r.input = r.z + b * m->scratch_len;
    r.x = r.input + b * m->n_inputs;
    r.skip = r.x + b * m->x_len;
    r.h = r.skip + b * m->skip_len;
    return r;
}

static size_t buf_len(const m7_model_t *m, uint8_t b)
{
    switch (b) {
    case M7_BUF_INPUT: return m->n_inputs;
    case M7_BUF_AUDIO: return 1u;
    case M7_BUF_KNOBS: return m->n_inputs - 1u;
    case M7_BUF_X: return m->x_len;
    case M7_BUF_HEAD: return m->head_len;
    case M7_BUF_SKIP: return m->skip_len;
    case M7_BUF_H: return m->h_len;
    case M7_BUF_OUT: return 1u;
    default: return 0u;
    }
}

static inline m7_view_q15_t view(const m7_model_t *m, const regions_t *r, uint8_t b)
{
    m7_view_q15_t v = {NULL, NULL, 0u};
    switch (b) {
    case M7_BUF_INPUT:
    case M7_BUF_AUDIO: v.p16 = r->input; v.stride = m->n_inputs; break;
    case M7_BUF_KNOBS: v.p16 = r->input + 1; v.stride = m->n_inputs; break;
    case M7_BUF_X: v.p16 = r->x; v.stride = m->x_len; break;
    case M7_BUF_HEAD: v.p32 = r->head; v.stride = m->head_len; break;
    case M7_BUF_SKIP: v.p16 = r->skip; v.stride = m->skip_len; break;
    case M7_BUF_H: v.p16 = r->h; v.stride = m->h_len; break;
    case M7_BUF_OUT: v.p32 = r->out; v.stride = 1u; break;
    default: break;
    }
    return v;
}

static int writable(uint8_t b)
{
    return b == M7_BUF_X || b == M7_BUF_HEAD || b == M7_BUF_SKIP || b == M7_BUF_H || b == M7_BUF_OUT;
}

static void plan_ops(m7_engine_q15_t *e);

/* int16 buffers (int32 are HEAD and OUT) */
static int is16(uint8_t b)
{
    return b != M7_BUF_HEAD && b != M7_BUF_OUT;
}

/* every product and the bias of a sum are already in the accumulator's format (the export's layout) */
static int formats_aligned(const m7_op_q15_t *op)
{
    if (op->w_frac + op->in_frac != op->acc_frac || (op->b && op->b_frac != op->acc_frac) ||
        (op->mix_w && op->mix_w_frac + 15 != op->acc_frac)) {
        return 0;
    }
    return !op->res_w || (op->res_w_frac + 15 == op->res_acc_frac && (!op->res_b || op->res_b_frac == op->res_acc_frac));
}

static m7_status_t check_op(const m7_model_t *m, const m7_op_q15_t *op)
{
    const m7_op_geom_t *g = &op->g;
    if ((g->kind == M7_OP_CONV1X1 || g->kind == M7_OP_NAM_LAYER || g->kind == M7_OP_GATED_LAYER) &&
        !formats_aligned(op)) {
        return M7_ERR_MODEL;
    }
    switch (g->kind) {
    case M7_OP_CONV1X1:
        if (!op->w || !writable(g->dst) || g->in_ch == 0u || g->out_ch == 0u ||
            buf_len(m, g->src) < g->in_ch || buf_len(m, g->dst) < g->out_ch || m->scratch_len < g->out_ch ||
            (!is16(g->src) && m->scratch_len < g->in_ch)) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    case M7_OP_NAM_LAYER:
    case M7_OP_GATED_LAYER: {
        const int gated = g->kind == M7_OP_GATED_LAYER, paired = g->act == M7_ACT_GATED;
        const uint32_t frames = (uint32_t)(g->kernel - 1u) * g->dilation;
        if (!op->w || g->kernel == 0u || g->dilation == 0u || g->in_ch == 0u || g->out_ch == 0u ||
            !is16(g->src) || buf_len(m, g->src) < g->in_ch || g->state_len != frames * g->in_ch ||
            g->state_offset > m->state_len || m->state_len - g->state_offset < g->state_len ||
            m->scratch_len < (paired ? 2u : 1u) * g->out_ch ||
            (gated && !paired) || (g->act != M7_ACT_TANH && !paired)) {
            return M7_ERR_MODEL;
        }
        if (op->mix_w && (g->cond_ch == 0u || !is16(g->cond) || buf_len(m, g->cond) < g->cond_ch)) {
            return M7_ERR_MODEL;
        }
        if (op->res_w && (g->dst != M7_BUF_X || g->in_ch != g->out_ch || buf_len(m, g->dst) < g->out_ch)) {
            return M7_ERR_MODEL;
        }
        if (gated ? (uint32_t)g->skip_offset + g->out_ch > m->skip_len : g->out_ch > m->head_len) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    }
    case M7_OP_OUTPUT:
        return buf_len(m, g->src) >= 1u ? M7_OK : M7_ERR_MODEL;
    case M7_OP_GRU: {
        /* u, v and both biases at acc_frac (the export's layout) */
        if (!op->w || !op->w_h || g->in_ch == 0u || g->out_ch == 0u || !is16(g->src) ||
            buf_len(m, g->src) < g->in_ch || g->dst != M7_BUF_H || buf_len(m, g->dst) < g->out_ch ||
            g->state_len != g->out_ch || g->state_offset > m->state_len ||
            m->state_len - g->state_offset < g->state_len || m->scratch_len < 6u * g->out_ch ||
            op->w_frac + op->in_frac != op->acc_frac || op->w_h_frac + 15 != op->acc_frac ||
            (op->b && op->b_frac != op->acc_frac) || (op->b_h && op->b_h_frac != op->acc_frac)) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    }
    case M7_OP_LSTM:
        /* state c[H] int32 then h[H] int16 (6H bytes): the op must hold the model's last state values,
         * at an even offset (4-byte aligned c), so the extra bytes lie past state_len values */
        if (!op->w || !op->w_h || g->in_ch == 0u || g->out_ch == 0u || !is16(g->src) ||
            buf_len(m, g->src) < g->in_ch || g->dst != M7_BUF_H || buf_len(m, g->dst) < g->out_ch ||
            g->state_len != 2u * g->out_ch || g->state_offset % 2u != 0u ||
            g->state_offset > m->state_len || m->state_len - g->state_offset != g->state_len ||
            m->scratch_len < 4u * g->out_ch || op->w_frac + op->in_frac != op->acc_frac ||
            op->w_h_frac + 15 != op->acc_frac || (op->b && op->b_frac != op->acc_frac)) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    default:
        return M7_ERR_MODEL;
    }
}

size_t m7_engine_state_bytes_q15(const m7_model_t *model)
{
    if (!model) {
        return 0u;
    }
    size_t bytes = (size_t)model->state_len * sizeof(int16_t);
    for (size_t i = 0; model->ops_q15 && i < model->n_ops; i++) {
        if (model->ops_q15[i].g.kind == M7_OP_LSTM) {
            bytes += 2u * model->ops_q15[i].g.out_ch; /* c is int32: 6H bytes for 2H state values */
        }
    }
    return bytes;
}

size_t m7_engine_scratch_bytes_q15(const m7_model_t *model, size_t max_block)
{
    return model ? max_block * frame_bytes(model) : 0u;
}

m7_status_t m7_engine_init_q15(m7_engine_q15_t *e, const m7_model_t *model, void *state, size_t state_bytes,
                               void *scratch, size_t scratch_bytes, size_t max_block)
{
    if (!e) {
        return M7_ERR_NULL;
    }
    e->model = NULL; /* uninitialised until every check passed */
    if (!model || !scratch || (!state && model->state_len)) {
        return M7_ERR_NULL;
    }
    if (model->format_version != M7_MODEL_FORMAT_VERSION) {
        return M7_ERR_VERSION;
    }
    if (model->precision != M7_PRECISION_Q15 || !model->ops_q15) {
        return M7_ERR_PRECISION;
    }
    if (max_block == 0u || max_block > UINT32_MAX) {
        return M7_ERR_ARG;
    }
    if (model->n_inputs == 0u || model->n_ops == 0u) {
        return M7_ERR_MODEL;
    }
    if (model->n_inputs - 1u > M7_ENGINE_MAX_KNOBS) {
        return M7_ERR_UNSUPPORTED;
    }
    if (((uintptr_t)state % 4u) != 0u || ((uintptr_t)scratch % 4u) != 0u) {
        return M7_ERR_ALIGN;
    }
    if (state_bytes < m7_engine_state_bytes_q15(model)) {
        return M7_ERR_STATE_SIZE;
    }
    if (max_block > SIZE_MAX / frame_bytes(model) || scratch_bytes < m7_engine_scratch_bytes_q15(model, max_block)) {
        return M7_ERR_SCRATCH_SIZE;
    }
    for (size_t i = 0; i < model->n_ops; i++) {
        const m7_status_t st = check_op(model, &model->ops_q15[i]);
        if (st != M7_OK) {
            return st;
        }
    }
    e->state = state;
    e->scratch = scratch;
    e->max_block = (uint32_t)max_block;
    memset(e->knobs, 0, sizeof e->knobs);
    e->model = model;
    plan_ops(e);
    return m7_engine_reset_q15(e);
}

m7_status_t m7_engine_reset_q15(m7_engine_q15_t *e)
{
    if (!e) {
        return M7_ERR_NULL;
    }
    if (!e->model) {
        return M7_ERR_NOT_INIT;
    }
    if (e->model->state_len) {
        memset(e->state, 0, m7_engine_state_bytes_q15(e->model));
    }
    e->t = 0u;
    return M7_OK;
}

m7_status_t m7_engine_set_knobs_q15(m7_engine_q15_t *e, const int16_t *knobs)
{
    if (!e || !knobs) {
        return M7_ERR_NULL;
    }
    if (!e->model) {
        return M7_ERR_NOT_INIT;
    }
    memcpy(e->knobs, knobs, (size_t)(e->model->n_inputs - 1u) * sizeof(int16_t));
    return M7_OK;
}

static int64_t get(m7_view_q15_t v, size_t i, size_t ch)
{
    return v.p16 ? v.p16[i * v.stride + ch] : v.p32[i * v.stride + ch];
}

/* dst[:out] = w * src[:in] + b, stored at out_frac (int16 X or int32 HEAD/OUT, saturating) */
static __attribute__((noinline)) void conv1x1(const m7_op_q15_t *op, size_t n, m7_view_q15_t src, m7_view_q15_t dst, const regions_t *r,
                    size_t ts)
{
    const m7_op_geom_t *g = &op->g;
#if M7E_SPECIALISED /* the small shapes first, before the general kernel's arguments are built */
    const m7_1x1_small_q15_t q = {.x = src.p16, .x32 = src.p32, .xs = src.stride, .x_shift = 15 - op->in_frac,
                                  .w = op->w, .b = op->b, .in = g->in_ch, .out = g->out_ch,
                                  .shift = op->acc_frac - op->out_frac, .y16 = dst.p16, .y32 = dst.p32,
                                  .ys = dst.stride};
    if (m7_1x1_small_q15(&q, n)) {
        return;
    }
#endif /* M7E_SPECIALISED */
    m7_1x1_q15_t p = {.acc = r->acc, .as = ts, .x = src.p16, .xs = src.stride, .w = op->w, .out = g->out_ch, .in = g->in_ch, .b = op->b,
                      .res = NULL, .rs = 0u, .res_shift = 0, .shift = op->acc_frac - op->out_frac,
                      .y16 = dst.p16, .y32 = dst.p32, .ys = dst.stride};
    if (!src.p16) { /* an int32 Q15 source (HEAD) is converted to int16 at in_frac first */
        const int s = 15 - op->in_frac;
        const size_t in = g->in_ch;
        if (s > 0 && s <= 31) { /* the usual formats: the same rounding in 32 bits */
            const int s1 = s - 1;
            for (size_t i = 0; i < n; i++) {
                const int32_t *v = src.p32 + i * src.stride;
                int16_t *zi = r->z + i * ts;
                for (size_t c = 0; c < in; c++) {
                    const int32_t q = ((v[c] >> s1) + 1) >> 1;
                    zi[c] = (int16_t)(q > INT16_MAX ? INT16_MAX : (q < INT16_MIN ? INT16_MIN : q));
                }
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                for (size_t c = 0; c < in; c++) {
                    r->z[i * ts + c] = m7_sat16(m7_shift_round_q15(src.p32[i * src.stride + c], s));
                }
            }
        }
        p.x = r->z;
        p.xs = ts;
    } /* in place (x -> x) is safe: m7_1x1_q15 stores only after all products */
    m7_1x1_q15(&p, n);
}

/* X can be stored compactly, each writer's frames `out_ch` values apart (so a layer's ring and block
 * input have the same frame stride, in_ch), when no op reads more channels of X than its last writer
 * stored (true of every exported WaveNet: each op reads exactly what the previous X writer wrote). */
static int x_compact(const m7_model_t *m)
{
    size_t xs = m->x_len;
    for (size_t k = 0; k < m->n_ops; k++) {
        const m7_op_geom_t *g = &m->ops_q15[k].g;
        if ((g->src == M7_BUF_X && g->in_ch > xs) || (g->cond == M7_BUF_X && g->cond_ch > xs)) {
            return 0;
        }
        if (g->dst == M7_BUF_X) {
            xs = g->out_ch;
        }
    }
    return 1;
}

/* out[i] = sat16(round(v[i]·scale·2^-f) (+ audio[i])) for 0 < f < 32 and |scale| <= 2^(f-1) (the usual
 * output op): the rounded value then fits int32 (|v·scale| < 2^(30+f)), so it is the low word of the 64-bit
 * sum shifted, (lo >> f) | (hi << (32 - f)), and adding the audio cannot overflow: no 64-bit shift or
 * saturation (they took ~28 instructions per sample) */
M7_INLINE void output_loop(int16_t *out, const int32_t *v, size_t vs, int32_t scale, int f, const int16_t *au,
                           size_t as, size_t n, int skip)
{
    const uint32_t half = 1u << (f - 1);
    for (size_t i = 0; i < n; i++) {
        const uint64_t q = (uint64_t)((int64_t)v[i * vs] * scale) + half;
        int32_t y = (int32_t)(((uint32_t)q >> f) | ((uint32_t)(q >> 32) << (32 - f)));
        if (skip) {
            y += au[i * as];
        }
        out[i] = (int16_t)sat16_32(y);
    }
}

#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
/* output_loop by one SMMULR per sample: (v·m + 2^31) >> 32 with m = scale·2^(32 - f) is floor((v·scale + 2^(f-1))
 * / 2^f), output_loop's value, for m an int32 (scale < 2^(f-1)); ~4 cycles per sample less */
M7_INLINE void output_mul_loop(int16_t *out, const int32_t *v, size_t vs, int32_t m, const int16_t *au, size_t as,
                               size_t n, int skip)
{
    for (size_t i = 0; i < n; i++) {
        int32_t y;
        __asm__("smmulr %0, %1, %2" : "=r"(y) : "r"(v[i * vs]), "r"(m));
        if (skip) {
            y += au[i * as];
        }
        out[i] = (int16_t)sat16_32(y);
    }
}
#endif /* __ARM_FEATURE_DSP */

static void output_q15(int16_t *out, const int32_t *v, size_t vs, int32_t scale, int f, const int16_t *au,
                       size_t as, size_t n)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    if (scale < ((int32_t)1 << (f - 1))) { /* -2^(f-1) <= scale (the caller's bound): m fits int32 */
        const int32_t m = (int32_t)((uint32_t)scale << (32 - f));
        if (au) {
            output_mul_loop(out, v, vs, m, au, as, n, 1);
        } else {
            output_mul_loop(out, v, vs, m, au, as, n, 0);
        }
        return;
    }
#endif /* __ARM_FEATURE_DSP */
    if (au) {
        output_loop(out, v, vs, scale, f, au, as, n, 1);
    } else {
        output_loop(out, v, vs, scale, f, au, as, n, 0);
    }
}

/* the first op writing HEAD when it may store instead of adding (m7_wavenet_layer_q15's head_fresh): a NAM
 * layer writing every channel of HEAD, not planned (the planned 2- and 4-channel layers add); else n_ops,
 * and run_chunk zeroes HEAD at every sample */
static uint32_t head_fresh_op(const m7_engine_q15_t *e)
{
    const m7_model_t *m = e->model;
    for (size_t k = 0; k < m->n_ops; k++) {
        const m7_op_geom_t *g = &m->ops_q15[k].g;
        if (g->kind == M7_OP_NAM_LAYER) {
            const int planned = k < M7_ENGINE_PLAN_OPS_Q15 && e->plan[k].w && e->plan[k].c != 8u; /* 8: stores */
            return g->out_ch == m->head_len && !planned ? (uint32_t)k : m->n_ops;
        }
        if (g->src == M7_BUF_HEAD || g->dst == M7_BUF_HEAD || g->cond == M7_BUF_HEAD) {
            break;
        }
    }
    return m->n_ops;
}

/* e->plan, e->compact and e->fresh from the model and the scratch (init): the fused layers' pointers and
 * constants, so that run_chunk does not recompute them per block */
static void plan_ops(m7_engine_q15_t *e)
{
    const m7_model_t *m = e->model;
    const regions_t r = regions(m, e->scratch, e->max_block);
    const size_t ts = m->scratch_len;
    e->compact = M7E_SPECIALISED && x_compact(m);
    size_t xs = m->x_len;
    for (size_t k = 0; k < M7_ENGINE_PLAN_OPS_Q15; k++) {
        e->plan[k].w = NULL;
        e->plan[k].k1x1 = NULL;
    }
    for (size_t k = 0; k < m->n_ops && k < M7_ENGINE_PLAN_OPS_Q15; k++) {
        const m7_op_q15_t *op = &m->ops_q15[k];
        const m7_op_geom_t *g = &op->g;
        m7_view_q15_t src = view(m, &r, g->src), dst = view(m, &r, g->dst), cond = view(m, &r, g->cond);
        if (e->compact && g->src == M7_BUF_X) {
            src.stride = xs;
        }
        if (e->compact && g->cond == M7_BUF_X) {
            cond.stride = xs;
        }
        if (e->compact && g->dst == M7_BUF_X) {
            dst.stride = xs = g->out_ch;
        }
#if M7E_SPECIALISED /* the small shapes' asm loops (conv1x1 runs m7_1x1_small_q15 first) */
        if (g->kind == M7_OP_CONV1X1) {
            const m7_1x1_small_q15_t q = {.x = src.p16, .x32 = src.p32, .xs = src.stride, .x_shift = 15 - op->in_frac,
                                          .w = op->w, .b = op->b, .in = g->in_ch, .out = g->out_ch,
                                          .shift = op->acc_frac - op->out_frac, .y16 = dst.p16, .y32 = dst.p32,
                                          .ys = dst.stride};
            (void)m7_1x1_plan_q15(&q, e->max_block, &e->plan[k]);
        }
#endif /* M7E_SPECIALISED */
        if (g->kind == M7_OP_NAM_LAYER &&
            !m7_layer_plan_q15(op, &e->plan[k], src, dst, cond, view(m, &r, M7_BUF_HEAD), ts,
                               (int16_t *)e->state + g->state_offset) &&
            e->compact) { /* else an 8-channel layer (the plan's pointers assume compact X) */
            (void)m7_layer8_plan_q15(op, &e->plan[k], src, dst, cond, view(m, &r, M7_BUF_HEAD),
                                     (int16_t *)e->state + g->state_offset);
        }
    }
    for (size_t k = m->n_ops < M7_ENGINE_PLAN_OPS_Q15 ? m->n_ops : M7_ENGINE_PLAN_OPS_Q15; k-- > 0;) {
        m7_plan_q15_t *pl = &e->plan[k];
        if (m->ops_q15[k].g.kind == M7_OP_NAM_LAYER && pl->w && pl->c != 8u) { /* run_chunk runs a span per call */
            const int next = k + 1u < M7_ENGINE_PLAN_OPS_Q15 && k + 1u < m->n_ops &&
                             m->ops_q15[k + 1u].g.kind == M7_OP_NAM_LAYER && pl[1].w && pl[1].c != 8u;
            pl->span = (uint8_t)(next && pl[1].span < UINT8_MAX ? pl[1].span + 1u : 1u);
        }
    }
    e->fresh = head_fresh_op(e);
    if (e->fresh < M7_ENGINE_PLAN_OPS_Q15 && e->plan[e->fresh].w && e->plan[e->fresh].c == 8u) {
        e->plan[e->fresh].res |= 2u; /* HEAD is not zeroed: the layer's tanh pass stores */
    }
}

/* p[0..k) = 0; on the M7 four words per STM (the library memset took ~190 cycles for nano's 512 bytes of HEAD
 * per block) */
static inline void zero32(int32_t *p, size_t k)
{
#if defined(__ARM_FEATURE_DSP) && defined(__thumb2__)
    size_t n4 = k / 4u;
    if (n4) {
        uint32_t a, b, c, d; /* four distinct registers (an STM list), zeroed in the asm */
        __asm__ volatile("movs %[a], #0\n\t"
                         "movs %[b], #0\n\t"
                         "movs %[c], #0\n\t"
                         "movs %[d], #0\n\t"
                         "1:\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "stmia %[p]!, {%[a], %[b], %[c], %[d]}\n\t"
                         "bne 1b"
                         : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d), [p] "+&r"(p), [n] "+&r"(n4)
                         :
                         : "cc", "memory");
    }
    k %= 4u;
#endif /* __ARM_FEATURE_DSP */
    memset(p, 0, k * sizeof(int32_t));
}

static __attribute__((noinline)) void run_chunk(m7_engine_q15_t *e, const regions_t *r, size_t n, int16_t *out)
{
    const m7_model_t *m = e->model;
    const size_t ts = m->scratch_len;
    const m7_view_q15_t audio = view(m, r, M7_BUF_AUDIO);
    const int compact = (int)e->compact;
    size_t xs = m->x_len; /* frame stride of X as its last writer stored it */
    const size_t fresh = e->fresh;
    if (fresh >= m->n_ops) {
        zero32(r->head, n * m->head_len);
    }
    for (size_t k = 0; k < m->n_ops; k++) {
        const m7_op_q15_t *op = &m->ops_q15[k];
        const m7_op_geom_t *g = &op->g;
        if (k < M7_ENGINE_PLAN_OPS_Q15 && g->kind == M7_OP_CONV1X1 && e->plan[k].k1x1) {
            m7_1x1_planned_q15(&e->plan[k], n);
            xs = g->dst == M7_BUF_X ? g->out_ch : xs;
            continue;
        }
        if (k < M7_ENGINE_PLAN_OPS_Q15 && g->kind == M7_OP_NAM_LAYER && e->plan[k].w) {
            m7_plan_q15_t *const pl = &e->plan[k];
            if (pl->c == 8u) {
                if (m7_layer8_planned_q15(pl, e->t, n, r->acc, r->z, ts)) {
                    xs = g->out_ch; /* a planned layer writes X compactly */
                    continue;
                }
            } else {
                const size_t done = m7_layer_planned_q15(pl, pl->span, e->t, n, (int16_t *)r->acc);
                if (done) { /* the span's first `done` layers (X compact, the last one's channels) */
                    k += done - 1u;
                    xs = pl[done - 1u].c;
                    continue;
                }
            }
        }
        m7_view_q15_t src = view(m, r, g->src);
        m7_view_q15_t dst = view(m, r, g->dst);
        m7_view_q15_t cond = view(m, r, g->cond);
        if (compact && g->src == M7_BUF_X) {
            src.stride = xs;
        }
        if (compact && g->cond == M7_BUF_X) {
            cond.stride = xs;
        }
        if (compact && g->dst == M7_BUF_X) {
            dst.stride = xs = g->out_ch; /* an in-place 1x1 stores only after all its products */
        }
        switch (g->kind) {
        case M7_OP_CONV1X1:
            conv1x1(op, n, src, dst, r, ts);
            break;
        case M7_OP_NAM_LAYER:
        case M7_OP_GATED_LAYER:
            m7_wavenet_layer_q15(op, e->t, n, src, dst, cond, view(m, r, M7_BUF_HEAD), k == fresh,
                                 view(m, r, M7_BUF_SKIP), r->acc, r->z, ts, (int16_t *)e->state + g->state_offset);
            break;
        case M7_OP_GRU:
            m7_gru_q15(op, n, src, dst, r->acc, ts, (int16_t *)e->state + g->state_offset);
            break;
        case M7_OP_LSTM:
            m7_lstm_q15(op, n, src, dst, r->acc, ts, (int32_t *)((int16_t *)e->state + g->state_offset));
            break;
        case M7_OP_OUTPUT:
            if (src.p32 && op->scale_frac > 0 && op->scale_frac < 32 &&
                (op->scale < 0 ? -op->scale : op->scale) <= (1 << (op->scale_frac - 1))) {
                output_q15(out, src.p32, src.stride, op->scale, op->scale_frac,
                           g->input_skip ? audio.p16 : NULL, audio.stride, n);
                break;
            }
            if (src.p32 && op->scale_frac > 0 && op->scale_frac < 63) { /* int32 OUT */
                const int64_t half = (int64_t)1 << (op->scale_frac - 1);
                const int64_t scale = op->scale;
                for (size_t i = 0; i < n; i++) {
                    const int64_t v = ((int64_t)src.p32[i * src.stride] * scale + half) >> op->scale_frac;
                    out[i] = m7_sat16(v + (g->input_skip ? audio.p16[i * audio.stride] : 0));
                }
                break;
            }
            for (size_t i = 0; i < n; i++) {
                const int64_t v = m7_shift_round_q15(get(src, i, 0) * op->scale, op->scale_frac);
                out[i] = m7_sat16(v + (g->input_skip ? audio.p16[i * audio.stride] : 0));
            }
            break;
        default: /* rejected by init */
            break;
        }
    }
}

m7_status_t m7_engine_process_q15(m7_engine_q15_t *e, const int16_t *in, const int16_t *knobs, int16_t *out,
                                  size_t n)
{
    if (!e || ((!in || !out) && n)) {
        return M7_ERR_NULL;
    }
    if (!e->model) {
        return M7_ERR_NOT_INIT;
    }
    const m7_model_t *m = e->model;
    const size_t ni = m->n_inputs, nk = ni - 1u;
    const regions_t r = regions(m, e->scratch, e->max_block);
    for (size_t done = 0; done < n;) {
        const size_t b = (n - done) < e->max_block ? (n - done) : e->max_block;
        if (nk == 0u) { /* INPUT is the audio alone: one copy (the frame loop took ~7 cycles per sample) */
            memcpy(r.input, in + done, b * sizeof(int16_t));
        }
        for (size_t i = 0; nk && i < b; i++) {
            const int16_t *kv = knobs ? knobs + (done + i) * nk : e->knobs;
            r.input[i * ni] = in[done + i];
            for (size_t j = 0; j < nk; j++) {
                r.input[i * ni + 1u + j] = kv[j];
            }
        }
        if (knobs && nk) { /* the last frame given becomes the held value */
            memcpy(e->knobs, knobs + (done + b - 1u) * nk, nk * sizeof(int16_t));
        }
        run_chunk(e, &r, b, out + done);
        e->t += b;
        done += b;
    }
    return M7_OK;
}
