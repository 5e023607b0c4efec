/*
 * hl_engine.c - the configured model on the hand-written engine (see hl_engine.h). State and scratch
 * are static, sized at compile time from the model's generated macros for M7_HL_MAX_BLOCK samples.
 */
#include "hl_engine.h"

#include "m7_engine.h"
#if defined(__arm__)
#include "m7_board.h" /* M7_DTCM_BSS */
#endif
#include M7AMP_MODEL_HEADER

#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define MODEL(suffix) CAT(M7AMP_MODEL_PREFIX, suffix) /* MODEL(_SAMPLE_RATE) -> NANO_F32_SAMPLE_RATE */
#define CALL(macro, ...) macro(__VA_ARGS__)           /* expands M7AMP_MODEL_PREFIX before pasting */

#if M7AMP_MODEL_Q15
typedef int16_t sample_t;
#define STATE_BYTES CALL(M7_ENGINE_STATE_BYTES_Q15, M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES CALL(M7_ENGINE_SCRATCH_BYTES_Q15, M7AMP_MODEL_PREFIX, M7_HL_MAX_BLOCK)
#else
typedef float sample_t;
#define STATE_BYTES CALL(M7_ENGINE_STATE_BYTES_F32, M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES CALL(M7_ENGINE_SCRATCH_BYTES_F32, M7AMP_MODEL_PREFIX, M7_HL_MAX_BLOCK)
#endif

/* State and scratch in DTCM on the board (as in the bench app), when they fit beside the stack. */
#if defined(M7_DTCM_BSS) && STATE_BYTES + SCRATCH_BYTES <= 96u * 1024u
#define ENGINE_RAM M7_DTCM_BSS
#else
#define ENGINE_RAM
#endif

static ENGINE_RAM uint64_t state[(STATE_BYTES + 7u) / 8u];   /* 8-aligned: the q15 scratch needs it */
static ENGINE_RAM uint64_t scratch[(SCRATCH_BYTES + 7u) / 8u];

#if M7AMP_MODEL_Q15
static m7_engine_q15_t engine;
#else
static m7_engine_f32_t engine;
#endif

int hl_engine_init(m7_hl_info_t *info)
{
    info->model_name = STR(M7AMP_MODEL_NAME);
    info->precision = M7AMP_MODEL_Q15 ? 1u : 0u;
    info->sample_bytes = (uint8_t)sizeof(sample_t);
    info->max_block = M7_HL_MAX_BLOCK;
    info->n_knobs = (uint16_t)(MODEL(_N_INPUTS) - 1u);
    info->sample_rate = MODEL(_SAMPLE_RATE);
#if M7AMP_MODEL_Q15
    return m7_engine_init_q15(&engine, &M7AMP_MODEL_DESC, state, sizeof state, scratch, sizeof scratch,
                              M7_HL_MAX_BLOCK);
#else
    return m7_engine_init_f32(&engine, &M7AMP_MODEL_DESC, (float *)state, sizeof state, (float *)scratch,
                              sizeof scratch, M7_HL_MAX_BLOCK);
#endif
}

int hl_engine_process(const void *in, void *out, uint32_t n)
{
#if M7AMP_MODEL_Q15
    return m7_engine_process_q15(&engine, in, NULL, out, n);
#else
    return m7_engine_process_f32(&engine, in, NULL, out, n);
#endif
}

void hl_engine_reset(void)
{
#if M7AMP_MODEL_Q15
    (void)m7_engine_reset_q15(&engine);
#else
    (void)m7_engine_reset_f32(&engine);
#endif
}
