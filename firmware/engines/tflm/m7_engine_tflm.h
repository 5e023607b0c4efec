/**
 * @file m7_engine_tflm.h
 * @brief What the tflm engine adds to the engine API of m7_engine.h (which it implements unchanged).
 *
 * The tflm engine runs the package's streaming TFLite model (model_stream_f32.tflite for the _f32 API,
 * model_stream_int8.tflite for the _q15 API) with TensorFlow Lite Micro. Differences from cmsis:
 *  - scratch is TFLM's tensor arena: m7_engine_scratch_bytes_*() return the compiled arena size
 *    M7AMP_TFLM_ARENA_BYTES (measured per model by m7amp), aligned to 16 bytes is best;
 *  - the model's state lives in TFLM resource variables inside the arena, so the state queries return 0
 *    and init accepts any state buffer (also NULL);
 *  - process() takes n that is a multiple of the model's block (one Invoke per block), else M7_ERR_ARG;
 *  - one engine instance per program (TFLM's interpreter is kept in static storage).
 */
#ifndef M7_ENGINE_TFLM_H
#define M7_ENGINE_TFLM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Arena bytes TFLM actually used after init (MicroInterpreter::arena_used_bytes()); 0 before. */
size_t m7_engine_tflm_arena_used_bytes(void);

/** Samples per Invoke of the compiled model (its input's time dimension). */
size_t m7_engine_tflm_block(void);

#ifdef __cplusplus
}
#endif

#endif /* M7_ENGINE_TFLM_H */
