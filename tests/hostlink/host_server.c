/*
 * host_server.c - the host-link protocol code (firmware/app/hostlink/m7_hostlink.c) and its engine glue
 * (hl_engine.c) built for the host: serves the protocol on stdin/stdout (a pseudo-terminal in the
 * tests) with the same byte-fed server as the firmware. The inter-byte timeout (argv[1], ms) is
 * measured with poll(); the cycles reported are 0 (no DWT on the host).
 */
#define _DEFAULT_SOURCE /* cfmakeraw */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "hl_engine.h"
#include "m7_app_engine.h"
#include "m7_hostlink.h"

static void fd_write(void *ctx, const uint8_t *data, size_t n)
{
    (void)ctx;
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, data, n);
        if (w <= 0) {
            exit(2);
        }
        data += w;
        n -= (size_t)w;
    }
}

static int process(void *ctx, const void *in, void *out, uint32_t n, uint32_t *cycles)
{
    (void)ctx;
    *cycles = 0;
    return m7_app_engine_process(in, out, n);
}

static void reset(void *ctx)
{
    (void)ctx;
    m7_app_engine_reset();
}

static m7_hl_server_t server;

int main(int argc, char **argv)
{
    int timeout_ms = argc > 1 ? atoi(argv[1]) : 100;
    struct termios tio;
    if (tcgetattr(STDIN_FILENO, &tio) == 0) { /* a terminal: raw bytes, no echo, no line editing */
        cfmakeraw(&tio);
        tcsetattr(STDIN_FILENO, TCSANOW, &tio);
    }
    m7_hl_info_t info = {0};
    int status = hl_engine_init(&info);
    if (status != 0) {
        fprintf(stderr, "host_server: engine init failed: %d\n", status);
        return 1;
    }
    info.core_hz = 216000000u;
    info.timeout_ms = (uint32_t)timeout_ms;
    const m7_hl_ops_t ops = {.ctx = NULL, .write = fd_write, .process = process, .reset = reset};
    m7_hl_server_init(&server, &ops, &info);
    fd_write(NULL, (const uint8_t *)"host_server ready\r\n", 19); /* text before frames, as the firmware */
    for (;;) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int ready = poll(&pfd, 1, m7_hl_server_in_frame(&server) ? timeout_ms : -1);
        if (ready == 0) {
            m7_hl_server_timeout(&server);
            continue;
        }
        uint8_t buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0) {
            return 0; /* the other side closed */
        }
        for (ssize_t i = 0; i < n; i++) {
            m7_hl_server_byte(&server, buf[i]);
        }
    }
}
