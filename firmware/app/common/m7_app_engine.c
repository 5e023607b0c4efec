/*
 * m7_app_engine.c - see m7_app_engine.h. Named engine_state / engine_scratch: m7amp/memory.py finds the
 * engine's buffers by these names.
 */
#include "m7_app_engine.h"
#include "m7_app_sizes.h"

/* 16-byte aligned: TFLM's arena prefers it; the cmsis engine needs 4. */
static ENGINE_RAM uint64_t engine_state[WORDS64(STATE_BYTES)] __attribute__((aligned(16)));
static ENGINE_RAM uint64_t engine_scratch[WORDS64(SCRATCH_BYTES)] __attribute__((aligned(16)));

#if M7AMP_MODEL_Q15
static m7_engine_q15_t engine;
#else
static m7_engine_f32_t engine;
#endif

m7_status_t m7_app_engine_init(void)
{
#if M7AMP_MODEL_Q15
    return m7_engine_init_q15(&engine, &M7AMP_MODEL_DESC, engine_state, sizeof engine_state, engine_scratch,
                              sizeof engine_scratch, M7AMP_APP_MAX_BLOCK);
#else
    return m7_engine_init_f32(&engine, &M7AMP_MODEL_DESC, (float *)engine_state, sizeof engine_state,
                              (float *)engine_scratch, sizeof engine_scratch, M7AMP_APP_MAX_BLOCK);
#endif
}

m7_status_t m7_app_engine_process(const m7_app_sample_t *in, m7_app_sample_t *out, uint32_t n)
{
#if M7AMP_MODEL_Q15
    return m7_engine_process_q15(&engine, in, NULL, out, n);
#else
    return m7_engine_process_f32(&engine, in, NULL, out, n);
#endif
}

void m7_app_engine_reset(void)
{
#if M7AMP_MODEL_Q15
    (void)m7_engine_reset_q15(&engine);
#else
    (void)m7_engine_reset_f32(&engine);
#endif
}

const char *m7_app_engine_model_name(void) { return STR(M7AMP_MODEL_NAME); }
uint32_t m7_app_engine_sample_rate(void) { return MODEL(_SAMPLE_RATE); }
uint32_t m7_app_engine_n_knobs(void) { return MODEL(_N_INPUTS) - 1u; }
const char *m7_app_engine_ram(void) { return ENGINE_RAM_NAME; }
