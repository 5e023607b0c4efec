/**
 * @file m7_engine.h
 * @brief The hand-written m7amp engine: runs an exported model descriptor (m7_model.h) on blocks of
 *        audio. C11, no heap: the caller owns the engine struct, the persistent state and the scratch.
 *
 * Lifecycle: m7_engine_init_f32() once (validates the descriptor and the buffer sizes, zeroes the
 * state), then m7_engine_process_f32() per audio block, m7_engine_reset_f32() to forget the past.
 * Only process() touches the signal; it never fails on a valid engine.
 *
 * Memory (in floats; the macros take a generated model prefix such as NANO_F32, so buffers can be
 * sized at compile time; the _bytes_ queries return the same numbers at run time):
 *  - state   = <M>_STATE_LEN: every dilated layer keeps a ring buffer of its last (kernel-1)*dilation
 *              input frames of in_ch values, at the op's state_offset (the layout m7_model.h defines);
 *              an LSTM keeps h[H] then c[H], a GRU h[H].
 *  - scratch = max_block * (<M>_N_INPUTS + <M>_X_LEN + <M>_HEAD_LEN + <M>_SKIP_LEN + <M>_H_LEN
 *              + <M>_SCRATCH_LEN + 1): every per-sample buffer of the model, for a whole block, so
 *              that each layer runs once per block (matrix-matrix work) instead of once per sample.
 *  Both must be aligned to 4 bytes (8 is better for the Cortex-M7's LDRD/VLDM).
 *
 * Tensor layouts, stated once:
 *  - audio in and out: n contiguous floats, one per sample;
 *  - knobs: frame-major [n][K] (K = n_inputs - 1), values normalised to [0, 1] like in training;
 *  - block buffers in scratch: frame-major [frame][channel], e.g. X[i * X_LEN + c];
 *  - weights: as m7_model.h (1x1 [out][in]; dilated conv [out][kernel][in], tap kernel-1 = now).
 */
#ifndef M7_ENGINE_H
#define M7_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "m7_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Status of every engine call: 0 is success, errors are negative. */
typedef enum m7_status {
    M7_OK = 0,
    M7_ERR_NULL = -1,          /**< a required pointer is NULL */
    M7_ERR_VERSION = -2,       /**< model format_version is not M7_MODEL_FORMAT_VERSION */
    M7_ERR_PRECISION = -3,     /**< model precision does not match the function (_f32 / _q15) */
    M7_ERR_UNSUPPORTED = -4,   /**< more than M7_ENGINE_MAX_KNOBS knobs */
    M7_ERR_MODEL = -5,         /**< inconsistent descriptor (sizes, offsets, missing weights) */
    M7_ERR_STATE_SIZE = -6,    /**< state buffer smaller than m7_engine_state_bytes_f32() */
    M7_ERR_SCRATCH_SIZE = -7,  /**< scratch buffer smaller than m7_engine_scratch_bytes_f32() */
    M7_ERR_ALIGN = -8,         /**< state or scratch not aligned to 4 bytes */
    M7_ERR_ARG = -9,           /**< invalid argument (max_block of 0) */
    M7_ERR_NOT_INIT = -10,     /**< engine not initialised (or its init failed) */
} m7_status_t;

/** Knob values the engine holds between calls (models with more knobs are M7_ERR_UNSUPPORTED). */
#define M7_ENGINE_MAX_KNOBS 8u

/** State floats of model prefix M (e.g. NANO_F32). */
#define M7_ENGINE_STATE_LEN_F32(M) (M##_STATE_LEN)
/** State bytes of model prefix M. */
#define M7_ENGINE_STATE_BYTES_F32(M) (4u * M7_ENGINE_STATE_LEN_F32(M))
/** Scratch floats of model prefix M for blocks of up to B samples. */
#define M7_ENGINE_SCRATCH_LEN_F32(M, B)                                                             \
    ((B) * (M##_N_INPUTS + M##_X_LEN + M##_HEAD_LEN + M##_SKIP_LEN + M##_H_LEN + M##_SCRATCH_LEN + 1u))
/** Scratch bytes of model prefix M for blocks of up to B samples. */
#define M7_ENGINE_SCRATCH_BYTES_F32(M, B) (4u * M7_ENGINE_SCRATCH_LEN_F32(M, B))

/**
 * An f32 engine instance. The caller allocates it (static or stack); the fields are the engine's
 * (read-only for the caller). It points at the model, state and scratch, which must outlive it.
 */
typedef struct {
    const m7_model_t *model;
    float *state;
    float *scratch;
    uint32_t max_block;     /**< samples per internal chunk (process() takes any n) */
    uint64_t t;             /**< samples processed since init/reset: positions in the ring buffers */
    float knobs[M7_ENGINE_MAX_KNOBS]; /**< held knob values, used when process() gets knobs == NULL */
} m7_engine_f32_t;

/**
 * @brief State bytes an f32 engine needs for @p model (0 for NULL).
 */
size_t m7_engine_state_bytes_f32(const m7_model_t *model);

/**
 * @brief Scratch bytes an f32 engine needs for @p model with blocks of up to @p max_block samples.
 */
size_t m7_engine_scratch_bytes_f32(const m7_model_t *model, size_t max_block);

/**
 * @brief Validate @p model and the buffers once, then set up @p e with zero state and zero knobs.
 * @param[out] e            engine instance
 * @param[in]  model        an f32 descriptor (`<name>_f32` of an exported package)
 * @param[in]  state        persistent state, at least m7_engine_state_bytes_f32(model) bytes
 * @param[in]  state_bytes  size of @p state
 * @param[in]  scratch      per-block temporaries, at least m7_engine_scratch_bytes_f32(model, max_block)
 * @param[in]  scratch_bytes size of @p scratch
 * @param[in]  max_block    largest chunk the engine processes at once (>= 1; 32-64 is typical)
 * @return M7_OK, or M7_ERR_NULL, M7_ERR_VERSION, M7_ERR_PRECISION, M7_ERR_UNSUPPORTED, M7_ERR_MODEL,
 *         M7_ERR_STATE_SIZE, M7_ERR_SCRATCH_SIZE, M7_ERR_ALIGN, M7_ERR_ARG. On error @p e is left
 *         uninitialised (process() then returns M7_ERR_NOT_INIT).
 */
m7_status_t m7_engine_init_f32(m7_engine_f32_t *e, const m7_model_t *model, float *state,
                               size_t state_bytes, float *scratch, size_t scratch_bytes,
                               size_t max_block);

/**
 * @brief Run @p n samples (any n; chunked internally by max_block). State carries over, so any
 *        split of a signal into blocks gives the same output.
 * @param[in,out] e     initialised engine
 * @param[in]  in       n audio samples
 * @param[in]  knobs    NULL (use the held knob values) or per-sample knobs [n][K]; the last frame
 *                      becomes the held value. Ignored for models without knobs.
 * @param[out] out      n output samples (may alias @p in)
 * @param[in]  n        samples
 * @return M7_OK, M7_ERR_NULL or M7_ERR_NOT_INIT.
 */
m7_status_t m7_engine_process_f32(m7_engine_f32_t *e, const float *in, const float *knobs, float *out,
                                  size_t n);

/**
 * @brief Set the held knob values (K = n_inputs - 1 floats in [0, 1]) used by process(knobs = NULL).
 * @return M7_OK, M7_ERR_NULL or M7_ERR_NOT_INIT.
 */
m7_status_t m7_engine_set_knobs_f32(m7_engine_f32_t *e, const float *knobs);

/**
 * @brief Forget the past: zero the state (as after init). Held knob values are kept.
 * @return M7_OK, M7_ERR_NULL or M7_ERR_NOT_INIT.
 */
m7_status_t m7_engine_reset_f32(m7_engine_f32_t *e);

/* ------------------------------------------------------------------------------------------ q15 path
 *
 * The same lifecycle with the integer arithmetic of the exported `_q15` descriptor, bit-exact with the
 * numpy reference (m7amp/export/_reference.py, docs/model-package.md "q15 arithmetic"). Audio in and
 * out and knobs are int16 Q15 (value = int / 32768; knobs in [0, 1] become 0..32767). It runs the
 * WaveNet ops (1x1, NAM and gated layers, output) and the LSTM and GRU cells.
 *
 * Memory (bytes; M is a generated prefix such as NANO_Q15):
 *  - state   = <M>_STATE_BYTES: one int16 ring buffer per dilated layer at its state_offset (in
 *              values), GRU h int16, LSTM c int32 then h int16; aligned to 4 bytes.
 *  - scratch = max_block * (4 * SCRATCH_LEN (int32 accumulators) + 4 * (HEAD_LEN + 1) (int32
 *              HEAD and OUT) + 2 * (SCRATCH_LEN + N_INPUTS + X_LEN + SKIP_LEN + H_LEN) (int16
 *              activations and buffers)); aligned to 4 bytes.
 */

/** State bytes of model prefix M (e.g. NANO_Q15). */
#define M7_ENGINE_STATE_BYTES_Q15(M) (M##_STATE_BYTES)
/** Scratch bytes of model prefix M for blocks of up to B samples. */
#define M7_ENGINE_SCRATCH_BYTES_Q15(M, B)                                                           \
    ((B) * (4u * M##_SCRATCH_LEN + 4u * (M##_HEAD_LEN + 1u) +                                       \
            2u * (M##_SCRATCH_LEN + M##_N_INPUTS + M##_X_LEN + M##_SKIP_LEN + M##_H_LEN)))

/** Ops of a q15 model that init plans (pointers and constants computed once); a model with more ops
 *  runs unplanned (same output bits, more cycles per block). */
#define M7_ENGINE_PLAN_OPS_Q15 32u

struct m7_layer_q15; /* the fused layer kernels' arguments (m7_engine_q15_internal.h) */

/** One op's plan (the engine's; m7_engine_q15.c): for a fused 2- or 4-channel NAM layer, or an 8-channel one
 *  (m7_layer8_plan_q15), its buffers, ring, packed weights and rounding constants, so that process() only
 *  computes the ring position (and the runs). The fields from p0 to mid are laid out as the 2- and 4-channel
 *  kernels' argument block (m7_layer_q15_t, checked at compile time): process() sets p0, p1 and end and passes
 *  the plan itself to the kernel. A 1x1 op's plan is the other member of the union (the op's kind says which). */
typedef struct {
    union {
        struct { /* a NAM layer */
            int16_t *p0;            /**< per call: tap 0 (2- and 4-channel layers) */
            const int16_t *p1;      /**< per call: tap 1 */
            const int16_t *cond;    /**< conditioning channel of frame 0 */
            int32_t *head;          /**< head of frame 0 */
            int16_t *out, *end;     /**< x (the kernels' output and loop counter), per call: out + C·n */
            int32_t ma, mr, kmul;   /**< rounding multipliers and 2^res_left (m7_layer_q15_t) */
            int32_t cs, hs;         /**< cond and head frame strides in bytes */
            int16_t *x;             /**< the layer's input, overwritten by its output (the kernels' p2) */
            const int32_t *w;       /**< packed weights (NULL: the op runs unplanned) */
            const uint32_t *mid;    /**< the two-frame kernels' tanh table */
            void (*run)(const struct m7_layer_q15 *a); /**< the 2- or 4-channel layer's kernel */
            int16_t *ring;          /**< the layer's state */
            uint32_t s, d;          /**< ring frames, dilation */
            uint8_t c, res;         /**< channels (2, 4 or 8: m7_layer8_planned_q15), residual (c = 8: 1 | 2 if HEAD's
                                         first writer, which stores head = t) */
            uint8_t span;           /**< c = 2, 4: this and the planned 2- or 4-channel layers right after it */
        };
        struct { /* a 1x1 op (m7_1x1_plan_q15): its asm loop's argument block, y_end set per call to y + n·ystep */
            uint32_t a1x1[16];
            void (*k1x1)(const void *a); /**< the loop (NULL: the op runs unplanned) */
            uint32_t ystep;              /**< output bytes per frame */
        };
    };
} m7_plan_q15_t;

/** A q15 engine instance (caller-allocated; fields are the engine's). */
typedef struct {
    const m7_model_t *model;
    void *state;
    void *scratch;
    uint32_t max_block;     /**< samples per internal chunk (process() takes any n) */
    uint64_t t;             /**< samples processed since init/reset: positions in the ring buffers */
    int16_t knobs[M7_ENGINE_MAX_KNOBS]; /**< held Q15 knob values, used when process() gets knobs == NULL */
    uint32_t fresh;         /**< the op that stores HEAD instead of adding to it (n_ops: none, zero HEAD) */
    uint32_t compact;       /**< X stored compactly (each writer's out_ch values per frame) */
    m7_plan_q15_t plan[M7_ENGINE_PLAN_OPS_Q15]; /**< per-op plan, set by init */
} m7_engine_q15_t;

/** @brief State bytes a q15 engine needs for @p model (0 for NULL). */
size_t m7_engine_state_bytes_q15(const m7_model_t *model);

/** @brief Scratch bytes a q15 engine needs for @p model with blocks of up to @p max_block samples. */
size_t m7_engine_scratch_bytes_q15(const m7_model_t *model, size_t max_block);

/**
 * @brief As m7_engine_init_f32() for a q15 descriptor (`<name>_q15`). @p state must be aligned to 4
 *        bytes and @p scratch to 4 (else M7_ERR_ALIGN); an f32 descriptor is M7_ERR_PRECISION.
 */
m7_status_t m7_engine_init_q15(m7_engine_q15_t *e, const m7_model_t *model, void *state, size_t state_bytes,
                               void *scratch, size_t scratch_bytes, size_t max_block);

/**
 * @brief Run @p n int16 Q15 samples (any n, any split gives the same output bits).
 * @param knobs NULL (held values) or per-sample Q15 knobs [n][K]; the last frame becomes the held value.
 * @return M7_OK, M7_ERR_NULL or M7_ERR_NOT_INIT.
 */
m7_status_t m7_engine_process_q15(m7_engine_q15_t *e, const int16_t *in, const int16_t *knobs, int16_t *out,
                                  size_t n);

/** @brief Set the held Q15 knob values (K = n_inputs - 1). @return M7_OK, M7_ERR_NULL, M7_ERR_NOT_INIT. */
m7_status_t m7_engine_set_knobs_q15(m7_engine_q15_t *e, const int16_t *knobs);

/** @brief Zero the state (as after init); held knobs are kept. @return M7_OK, M7_ERR_NULL, M7_ERR_NOT_INIT. */
m7_status_t m7_engine_reset_q15(m7_engine_q15_t *e);

#ifdef __cplusplus
}
#endif

#endif /* M7_ENGINE_H */
