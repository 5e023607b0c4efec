#include "bench_signal.h"

/* Karplus-Strong: an LCG noise burst in a delay line of one period, averaged with its neighbour and
 * damped by 255/256 on every pass; a new note every 1024 samples. */
typedef struct {
    int32_t line[256];
    uint32_t rng, period, pos, i;
} pluck_t;

static int16_t pluck_next(pluck_t *s)
{
    static const uint32_t periods[4] = {218u, 146u, 109u, 164u}; /* ~220, 329, 440, 293 Hz at 48 kHz */
    if (s->i % 1024u == 0u) {
        s->period = periods[(s->i / 1024u) % 4u];
        for (uint32_t k = 0; k < s->period; k++) {
            s->rng = s->rng * 1664525u + 1013904223u;
            s->line[k] = (int32_t)(s->rng >> 17) - 16384; /* 15 random bits, centred: [-16384, 16383] */
        }
        s->pos = 0;
    }
    uint32_t next = (s->pos + 1u) % s->period;
    int32_t y = s->line[s->pos];
    s->line[s->pos] = (y + s->line[next]) * 255 / 512; /* division truncates toward zero on any target */
    s->pos = next;
    s->i++;
    return (int16_t)y;
}

void bench_signal_q15(int16_t *out, uint32_t n)
{
    pluck_t s = {.rng = 0x12345678u};
    for (uint32_t i = 0; i < n; i++) {
        out[i] = pluck_next(&s);
    }
}

void bench_signal_f32(float *out, uint32_t n)
{
    pluck_t s = {.rng = 0x12345678u};
    for (uint32_t i = 0; i < n; i++) {
        out[i] = (float)pluck_next(&s) / 32768.0f;
    }
}
