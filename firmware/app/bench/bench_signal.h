/*
 * bench_signal - the bench's input: a deterministic plucked string, compiled into the bench firmware and
 * into the host build of the engine (tests/engines/test_bench_firmware.py), so both process the same
 * samples and their outputs can be compared bit for bit.
 */
#ifndef BENCH_SIGNAL_H
#define BENCH_SIGNAL_H

#include <stdint.h>

/* n samples in Q15 (|v| <= 16384, i.e. peak 0.5). Integer arithmetic only: identical on every target. */
void bench_signal_q15(int16_t *out, uint32_t n);

/* The same samples as float: q15 / 32768 (exact). */
void bench_signal_f32(float *out, uint32_t n);

#endif /* BENCH_SIGNAL_H */
