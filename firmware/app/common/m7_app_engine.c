/*
 * m7_app_engine.c - see m7_app_engine.h. Named engine_state / engine_scratch: m7amp/memory.py finds the
 * engine's buffers by these names.
 */
#include "m7_app_engine.h"

#if defined(__arm__)
#include "m7_board.h" /* M7_DTCM_BSS */
#endif
#if M7AMP_ENGINE_TFLM
#include "m7_engine_tflm.h"
#endif
#include M7AMP_MODEL_HEADER

#ifndef M7AMP_APP_MAX_BLOCK
#error "M7AMP_APP_MAX_BLOCK (the app's largest block) must be defined"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define MODEL(suffix) CAT(M7AMP_MODEL_PREFIX, suffix) /* MODEL(_N_INPUTS) -> NANO_F32_N_INPUTS */
#define CALL(macro, ...) macro(__VA_ARGS__)           /* expands M7AMP_MODEL_PREFIX before pasting */

#if M7AMP_ENGINE_TFLM /* scratch is TFLM's arena (measured per model); the state lives inside it */
#define STATE_BYTES 8u
#define SCRATCH_BYTES M7AMP_TFLM_ARENA_BYTES
#elif M7AMP_MODEL_Q15
#define STATE_BYTES CALL(M7_ENGINE_STATE_BYTES_Q15, M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES CALL(M7_ENGINE_SCRATCH_BYTES_Q15, M7AMP_MODEL_PREFIX, M7AMP_APP_MAX_BLOCK)
#else
#define STATE_BYTES CALL(M7_ENGINE_STATE_BYTES_F32, M7AMP_MODEL_PREFIX)
#define SCRATCH_BYTES CALL(M7_ENGINE_SCRATCH_BYTES_F32, M7AMP_MODEL_PREFIX, M7AMP_APP_MAX_BLOCK)
#endif
#define WORDS64(bytes) (((bytes) + 7u) / 8u)

/* DTCM (no wait states, not cached) when state and scratch fit in what the 16 KB stack and the apps'
 * own DTCM data (a few KB: audio counters, host-link ring) leave of its 128 KB; else SRAM1. */
#ifndef M7AMP_APP_DTCM_BUDGET
#define M7AMP_APP_DTCM_BUDGET (104u * 1024u)
#endif
#if defined(M7_DTCM_BSS) && 8u * (WORDS64(STATE_BYTES) + WORDS64(SCRATCH_BYTES)) <= M7AMP_APP_DTCM_BUDGET
#define ENGINE_RAM M7_DTCM_BSS
#define ENGINE_RAM_NAME "dtcm"
#else
#define ENGINE_RAM
#define ENGINE_RAM_NAME "sram1"
#endif

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
