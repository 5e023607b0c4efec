/**
 * @file m7_engine_f32.c
 * @brief The f32 engine API: init (all validation happens here, once), process, reset, queries.
 *
 * process() cuts the signal into chunks of up to max_block samples; for each chunk it fills the block
 * buffers (INPUT = audio and knobs per frame, HEAD zeroed) and runs every op over the whole chunk.
 */
#include <string.h>

#include "m7_engine_internal.h"

/* Scratch regions, in order, each max_block frames of its buffer's length (see m7_engine.h). */
typedef struct {
    float *input, *x, *head, *skip, *h, *tmp, *out;
} regions_t;

static size_t frame_len(const m7_model_t *m)
{
    return (size_t)m->n_inputs + m->x_len + m->head_len + m->skip_len + m->h_len + m->scratch_len + 1u;
}

static regions_t regions(const m7_model_t *m, float *scratch, size_t max_block)
{
    regions_t r;
    r.input = scratch;
    r.x = r.input + max_block * m->n_inputs;
    r.head = r.x + max_block * m->x_len;
    r.skip = r.head + max_block * m->head_len;
    r.h = r.skip + max_block * m->skip_len;
    r.tmp = r.h + max_block * m->h_len;
    r.out = r.tmp + max_block * m->scratch_len;
    return r;
}

/* Values per frame of buffer b (0 for an unknown buffer). */
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

static inline m7_view_f32_t view(const m7_model_t *m, const regions_t *r, uint8_t b)
{
    m7_view_f32_t v = {NULL, 0u};
    switch (b) {
    case M7_BUF_INPUT:
    case M7_BUF_AUDIO: v.p = r->input; v.stride = m->n_inputs; break;
    case M7_BUF_KNOBS: v.p = r->input + 1; v.stride = m->n_inputs; break;
    case M7_BUF_X: v.p = r->x; v.stride = m->x_len; break;
    case M7_BUF_HEAD: v.p = r->head; v.stride = m->head_len; break;
    case M7_BUF_SKIP: v.p = r->skip; v.stride = m->skip_len; break;
    case M7_BUF_H: v.p = r->h; v.stride = m->h_len; break;
    case M7_BUF_OUT: v.p = r->out; v.stride = 1u; break;
    default: break;
    }
    return v;
}

static int writable(uint8_t b)
{
    return b == M7_BUF_X || b == M7_BUF_HEAD || b == M7_BUF_SKIP || b == M7_BUF_H || b == M7_BUF_OUT;
}

/* Checks one op against the model's buffer sizes; returns M7_OK or the error. */
static m7_status_t check_op(const m7_model_t *m, const m7_op_f32_t *op)
{
    const m7_op_geom_t *g = &op->g;
    switch (g->kind) {
    case M7_OP_CONV1X1:
        if (!op->w || !writable(g->dst) || g->in_ch == 0u || g->out_ch == 0u ||
            buf_len(m, g->src) < g->in_ch || buf_len(m, g->dst) < g->out_ch || m->scratch_len < g->out_ch) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    case M7_OP_NAM_LAYER:
    case M7_OP_GATED_LAYER: {
        const int gated = g->kind == M7_OP_GATED_LAYER, paired = g->act == M7_ACT_GATED;
        const uint32_t frames = (uint32_t)(g->kernel - 1u) * g->dilation;
        if (!op->w || g->kernel == 0u || g->dilation == 0u || g->in_ch == 0u || g->out_ch == 0u ||
            buf_len(m, g->src) < g->in_ch || g->state_len != frames * g->in_ch ||
            g->state_offset > m->state_len || m->state_len - g->state_offset < g->state_len ||
            m->scratch_len < (paired ? 2u : 1u) * g->out_ch ||
            (gated && !paired) || (g->act != M7_ACT_TANH && !paired)) {
            return M7_ERR_MODEL;
        }
        if (op->mix_w && (g->cond_ch == 0u || buf_len(m, g->cond) < g->cond_ch)) {
            return M7_ERR_MODEL;
        }
        if (op->res_w && (!writable(g->dst) || g->in_ch != g->out_ch || buf_len(m, g->dst) < g->out_ch)) {
            return M7_ERR_MODEL;
        }
        if (gated ? (uint32_t)g->skip_offset + g->out_ch > m->skip_len : g->out_ch > m->head_len) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    }
    case M7_OP_OUTPUT:
        return buf_len(m, g->src) >= 1u ? M7_OK : M7_ERR_MODEL;
    case M7_OP_LSTM:
    case M7_OP_GRU: {
        const uint32_t hd = g->out_ch, gates = g->kind == M7_OP_LSTM ? 4u : 3u;
        if (!op->w || !op->w_h || hd == 0u || !writable(g->dst) || buf_len(m, g->src) < g->in_ch ||
            buf_len(m, g->dst) < hd || g->state_len != (g->kind == M7_OP_LSTM ? 2u : 1u) * hd ||
            g->state_offset > m->state_len || m->state_len - g->state_offset < g->state_len ||
            m->scratch_len < (g->kind == M7_OP_LSTM ? 1u : 2u) * gates * hd) {
            return M7_ERR_MODEL;
        }
        return M7_OK;
    }
    default:
        return M7_ERR_MODEL;
    }
}

size_t m7_engine_state_bytes_f32(const m7_model_t *model)
{
    return model ? (size_t)model->state_len * sizeof(float) : 0u;
}

size_t m7_engine_scratch_bytes_f32(const m7_model_t *model, size_t max_block)
{
    return model ? max_block * frame_len(model) * sizeof(float) : 0u;
}

m7_status_t m7_engine_init_f32(m7_engine_f32_t *e, const m7_model_t *model, float *state,
                               size_t state_bytes, float *scratch, size_t scratch_bytes,
                               size_t max_block)
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
    if (model->precision != M7_PRECISION_F32 || !model->ops_f32) {
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
    if (((uintptr_t)state % sizeof(float)) != 0u || ((uintptr_t)scratch % sizeof(float)) != 0u) {
        return M7_ERR_ALIGN;
    }
    if (state_bytes < m7_engine_state_bytes_f32(model)) {
        return M7_ERR_STATE_SIZE;
    }
    if (max_block > SIZE_MAX / sizeof(float) / frame_len(model) ||
        scratch_bytes < m7_engine_scratch_bytes_f32(model, max_block)) {
        return M7_ERR_SCRATCH_SIZE;
    }
    for (size_t i = 0; i < model->n_ops; i++) {
        const m7_status_t st = check_op(model, &model->ops_f32[i]);
        if (st != M7_OK) {
            return st;
        }
    }
    e->state = state;
    e->scratch = scratch;
    e->max_block = (uint32_t)max_block;
    memset(e->knobs, 0, sizeof e->knobs);
    e->model = model;
    return m7_engine_reset_f32(e);
}

m7_status_t m7_engine_reset_f32(m7_engine_f32_t *e)
{
    if (!e) {
        return M7_ERR_NULL;
    }
    if (!e->model) {
        return M7_ERR_NOT_INIT;
    }
    if (e->model->state_len) {
        memset(e->state, 0, (size_t)e->model->state_len * sizeof(float));
    }
    e->t = 0u;
    return M7_OK;
}

m7_status_t m7_engine_set_knobs_f32(m7_engine_f32_t *e, const float *knobs)
{
    if (!e || !knobs) {
        return M7_ERR_NULL;
    }
    if (!e->model) {
        return M7_ERR_NOT_INIT;
    }
    memcpy(e->knobs, knobs, (size_t)(e->model->n_inputs - 1u) * sizeof(float));
    return M7_OK;
}

/* Runs every op over one chunk of n <= max_block frames whose INPUT is filled (k: its buffers). */
M7E_HOT static void run_chunk(m7_engine_f32_t *e, const m7_chunk_f32_t *k, size_t n, float *out)
{
    const m7_model_t *m = e->model;
    const m7_view_f32_t audio = k->buf[M7_BUF_AUDIO], head = k->buf[M7_BUF_HEAD];
    memset(head.p, 0, n * head.stride * sizeof(float)); /* HEAD is zeroed at every sample */
    for (size_t i = 0; i < m->n_ops; i++) {
        const m7_op_f32_t *op = &m->ops_f32[i];
        const m7_op_geom_t *g = &op->g;
        switch (g->kind) {
        case M7_OP_CONV1X1:
            m7_1x1_f32(m7_chunk_view_f32(k, g->dst), m7_chunk_view_f32(k, g->src), op->w, op->b, n, g->out_ch,
                       g->in_ch, k->tmp.p);
            break;
        case M7_OP_NAM_LAYER:
        case M7_OP_GATED_LAYER:
            m7_wavenet_layer_f32(op, n, k, e->state + g->state_offset);
            break;
        case M7_OP_LSTM:
        case M7_OP_GRU:
            m7_rnn_f32(op, n, m7_chunk_view_f32(k, g->src), m7_chunk_view_f32(k, g->dst), k->tmp,
                       e->state + g->state_offset);
            break;
        case M7_OP_OUTPUT: {
            const m7_view_f32_t src = m7_chunk_view_f32(k, g->src);
            for (size_t f = 0; f < n; f++) {
                out[f] = op->scale * src.p[f * src.stride] + (g->input_skip ? audio.p[f * audio.stride] : 0.0f);
            }
            break;
        }
        default: /* rejected by init */
            break;
        }
    }
}

m7_status_t m7_engine_process_f32(m7_engine_f32_t *e, const float *in, const float *knobs, float *out,
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
    m7_chunk_f32_t k;
    for (uint8_t b = 0; b < M7_F32_NBUFS; b++) {
        k.buf[b] = view(m, &r, b);
    }
    k.tmp.p = r.tmp;
    k.tmp.stride = m->scratch_len;
    for (size_t done = 0; done < n;) {
        const size_t b = (n - done) < e->max_block ? (n - done) : e->max_block;
        for (size_t i = 0; i < b; i++) {
            const float *kv = knobs ? knobs + (done + i) * nk : e->knobs;
            r.input[i * ni] = in[done + i];
            for (size_t j = 0; j < nk; j++) {
                r.input[i * ni + 1u + j] = kv[j];
            }
        }
        if (knobs && nk) { /* the last frame given becomes the held value */
            memcpy(e->knobs, knobs + (done + b - 1u) * nk, nk * sizeof(float));
        }
        k.t = e->t;
        run_chunk(e, &k, b, out + done);
        e->t += b;
        done += b;
    }
    return M7_OK;
}
