/*
 * The fixed workload of `m7amp bench sim`: a mix resembling audio firmware (a float biquad cascade,
 * a q15 dot product with SMLAD-friendly code, an integer CRC over a buffer), repeated ITERATIONS times,
 * then it prints a checksum and exits through semihosting.
 */
#include <stdint.h>
#include "board.h"

#ifndef ITERATIONS
#define ITERATIONS 200
#endif
#define N 256

static float signal[N];
static int16_t q15a[N], q15b[N];
static float state[4][2];
static const float coef[4][5] = {
    {0.2929f, 0.5858f, 0.2929f, -0.0f, 0.1716f},
    {0.0976f, 0.1953f, 0.0976f, -0.9428f, 0.3333f},
    {0.5f, -1.0f, 0.5f, -1.2f, 0.5f},
    {1.0f, 0.0f, -1.0f, -0.3f, 0.1f},
};

static float biquads(float x) {
    for (int s = 0; s < 4; s++) {
        const float *c = coef[s];
        float y = c[0] * x + state[s][0];
        state[s][0] = c[1] * x - c[3] * y + state[s][1];
        state[s][1] = c[2] * x - c[4] * y;
        x = y;
    }
    return x;
}

static int32_t dot_q15(const int16_t *a, const int16_t *b, int n) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) acc += (int32_t)a[i] * b[i];
    return acc;
}

static uint32_t crc32(const uint8_t *p, int n, uint32_t crc) {
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int main(void) {
    board_uart_init();
    uint32_t seed = 12345u;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        signal[i] = (float)(int32_t)seed * (1.0f / 2147483648.0f);
        q15a[i] = (int16_t)(seed >> 16);
        q15b[i] = (int16_t)seed;
    }
    uint32_t check = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        float sum = 0.0f;
        for (int i = 0; i < N; i++) sum += biquads(signal[i]);
        check = crc32((const uint8_t *)&sum, 4, check);
        check += (uint32_t)dot_q15(q15a, q15b, N);
        check = crc32((const uint8_t *)q15a, 64, check);
    }
    board_puts("compute checksum ");
    board_putu(check);
    board_puts("\r\n");
    return 0;
}
