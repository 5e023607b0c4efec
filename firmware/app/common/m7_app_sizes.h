/*
 * m7_app_sizes.h - the configured engine's state and scratch sizes and where they go (DTCM or SRAM1),
 * shared by m7_app_engine.c (which places them) and m7_app_cab.c (which places the cabinet stage in
 * what DTCM the engine leaves). Needs the model's M7AMP_MODEL_* definitions and M7AMP_APP_MAX_BLOCK.
 */
#ifndef M7_APP_SIZES_H
#define M7_APP_SIZES_H

#include "m7_engine.h"
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

/* DTCM (no wait states, not cached) when state and scratch fit in what the 16 KB stack leaves of its
 * 128 KB (112 KB) less 2 KB for the apps' own DTCM data (the audio app's counters, < 100 bytes; the
 * linker fails with "region DTCM overflowed" if that is ever not enough); else SRAM1. 110 KB holds
 * standard q15 (96 KB of rings + 9 KB of scratch at 32-sample blocks). */
#ifndef M7AMP_APP_DTCM_BUDGET
#define M7AMP_APP_DTCM_BUDGET (110u * 1024u)
#endif
#define ENGINE_BYTES (8u * (WORDS64(STATE_BYTES) + WORDS64(SCRATCH_BYTES)))
#if defined(M7_DTCM_BSS) && ENGINE_BYTES <= M7AMP_APP_DTCM_BUDGET
#define ENGINE_RAM M7_DTCM_BSS
#define ENGINE_DTCM_BYTES ENGINE_BYTES
#define ENGINE_RAM_NAME "dtcm"
#else
#define ENGINE_RAM
#define ENGINE_DTCM_BYTES 0u
#define ENGINE_RAM_NAME "sram1"
#endif

#endif /* M7_APP_SIZES_H */
