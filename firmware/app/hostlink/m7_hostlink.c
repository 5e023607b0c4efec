/*
 * m7_hostlink.c - the host-link protocol server (docs/hostlink.md). Byte-fed, so the caller decides how
 * bytes arrive (USART3 interrupt, pseudo-terminal) and how long the inter-byte timeout is.
 *
 * Resync rule: a frame starts at 0xA5 0x7E and its 12-byte header carries its own CRC, so its length
 * can be trusted. Bytes before a sync, and a header whose CRC fails, are garbage: the parser drops the
 * first byte and looks for the sync again in what it has buffered (no reply; counted). A frame with a
 * valid header is always answered: by its reply or by an ERROR naming the reason and its seq.
 */
#include "m7_hostlink.h"

#include <string.h>

/* CRC-32 four bits at a time: 16 words of table, ~2 table steps per byte. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t m7_hl_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
        crc = (crc >> 4) ^ crc_nibble[crc & 15u];
    }
    return ~crc;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

static uint32_t get32(const uint8_t *p) { return get16(p) | (get16(p + 2) << 16); }

/* Header and both CRCs around a payload already at out + 12. */
static size_t finish_frame(uint8_t *out, uint8_t type, uint16_t seq, size_t len)
{
    out[0] = M7_HL_SYNC0;
    out[1] = M7_HL_SYNC1;
    out[2] = type;
    out[3] = 0;
    put16(out + 4, seq);
    put16(out + 6, (uint32_t)len);
    put32(out + 8, m7_hl_crc32(0, out, 8));
    put32(out + M7_HL_HEADER_BYTES + len, m7_hl_crc32(0, out + M7_HL_HEADER_BYTES, len));
    return M7_HL_HEADER_BYTES + len + M7_HL_CRC_BYTES;
}

size_t m7_hl_encode(uint8_t *out, size_t cap, uint8_t type, uint16_t seq, const void *payload, size_t len)
{
    if (len > 0xFFFFu || cap < M7_HL_HEADER_BYTES + len + M7_HL_CRC_BYTES) {
        return 0;
    }
    if (len > 0u) {
        memmove(out + M7_HL_HEADER_BYTES, payload, len);
    }
    return finish_frame(out, type, seq, len);
}

void m7_hl_server_init(m7_hl_server_t *s, const m7_hl_ops_t *ops, const m7_hl_info_t *info)
{
    memset(s, 0, sizeof *s);
    s->ops = *ops;
    s->info = *info;
    if (s->info.max_block > M7_HL_MAX_BLOCK) {
        s->info.max_block = M7_HL_MAX_BLOCK;
    }
    s->state = M7_HL_HUNT;
}

static uint8_t *tx_bytes(m7_hl_server_t *s) { return (uint8_t *)s->tx; }

static uint8_t *rx_bytes(m7_hl_server_t *s) { return (uint8_t *)s->rx; }

static void send(m7_hl_server_t *s, uint8_t type, uint16_t seq, size_t len)
{
    size_t n = finish_frame(tx_bytes(s), type, seq, len);
    s->ops.write(s->ops.ctx, tx_bytes(s), n);
}

static const char *reason_text(m7_hl_reason_t reason)
{
    switch (reason) {
    case M7_HL_ERR_BAD_CRC: return "payload CRC mismatch";
    case M7_HL_ERR_TIMEOUT: return "frame truncated (inter-byte timeout)";
    case M7_HL_ERR_BAD_LENGTH: return "payload length invalid for this type";
    case M7_HL_ERR_OUT_OF_ORDER: return "sequence number out of order";
    case M7_HL_ERR_REPEATED: return "sequence number repeated";
    case M7_HL_ERR_UNKNOWN_TYPE: return "unknown frame type";
    case M7_HL_ERR_OVERSIZE: return "payload larger than the maximum";
    case M7_HL_ERR_ENGINE: return "engine call failed";
    }
    return "error";
}

static void send_error(m7_hl_server_t *s, m7_hl_reason_t reason, uint8_t type, uint16_t seq)
{
    uint8_t *p = tx_bytes(s) + M7_HL_HEADER_BYTES;
    const char *text = reason_text(reason);
    size_t n = strlen(text);
    p[0] = (uint8_t)reason;
    p[1] = type;
    put16(p + 2, seq);
    put16(p + 4, s->expect_seq);
    memcpy(p + M7_HL_ERROR_FIXED_BYTES, text, n);
    s->frames_rejected++;
    send(s, M7_HL_ERROR, seq, M7_HL_ERROR_FIXED_BYTES + n);
}

static void send_info(m7_hl_server_t *s, uint16_t seq)
{
    uint8_t *p = tx_bytes(s) + M7_HL_HEADER_BYTES;
    const char *name = s->info.model_name ? s->info.model_name : "";
    size_t n = strlen(name);
    n = n > M7_HL_MAX_NAME ? M7_HL_MAX_NAME : n;
    p[0] = M7_HL_VERSION;
    p[1] = s->info.precision;
    p[2] = s->info.sample_bytes;
    p[3] = 0;
    put16(p + 4, s->info.max_block);
    put16(p + 6, s->info.n_knobs);
    put32(p + 8, s->info.sample_rate);
    put32(p + 12, s->info.core_hz);
    put32(p + 16, s->info.timeout_ms);
    p[20] = (uint8_t)n;
    memcpy(p + M7_HL_INFO_BYTES, name, n);
    send(s, M7_HL_INFO, seq, M7_HL_INFO_BYTES + n);
}

static void handle_process(m7_hl_server_t *s, uint16_t seq, uint32_t len)
{
    uint32_t bytes = s->info.sample_bytes;
    if (len == 0u || bytes == 0u || len % bytes != 0u || len / bytes > s->info.max_block) {
        send_error(s, M7_HL_ERR_BAD_LENGTH, M7_HL_PROCESS, seq);
        return;
    }
    if (seq != s->expect_seq) {
        int repeat = s->seq_valid && seq == (uint16_t)(s->expect_seq - 1u);
        send_error(s, repeat ? M7_HL_ERR_REPEATED : M7_HL_ERR_OUT_OF_ORDER, M7_HL_PROCESS, seq);
        return;
    }
    uint32_t n = len / bytes;
    uint32_t cycles = 0;
    uint8_t *out = tx_bytes(s) + M7_HL_HEADER_BYTES;  /* 4-aligned: cycles here, samples after */
    int status = s->ops.process(s->ops.ctx, rx_bytes(s) + M7_HL_HEADER_BYTES, out + 4, n, &cycles);
    if (status != 0) {
        send_error(s, M7_HL_ERR_ENGINE, M7_HL_PROCESS, seq);
        return;
    }
    s->expect_seq = (uint16_t)(seq + 1u);
    s->seq_valid = 1;
    s->frames_ok++;
    put32(out, cycles);
    send(s, M7_HL_OUTPUT, seq, 4u + len);
}

/* A whole frame with a valid header is in rx. */
static void handle_frame(m7_hl_server_t *s)
{
    const uint8_t *f = rx_bytes(s);
    uint8_t type = f[2];
    uint16_t seq = (uint16_t)get16(f + 4);
    uint32_t len = get16(f + 6);
    if (get32(f + M7_HL_HEADER_BYTES + len) != m7_hl_crc32(0, f + M7_HL_HEADER_BYTES, len)) {
        send_error(s, M7_HL_ERR_BAD_CRC, type, seq);
        return;
    }
    switch (type) {
    case M7_HL_HELLO:
    case M7_HL_RESET:
        if (len != 0u) {
            send_error(s, M7_HL_ERR_BAD_LENGTH, type, seq);
            return;
        }
        /* Sync points: the next PROCESS carries seq + 1, whatever came before. */
        s->expect_seq = (uint16_t)(seq + 1u);
        s->seq_valid = 0;
        s->frames_ok++;
        if (type == M7_HL_HELLO) {
            send_info(s, seq);
        } else {
            s->ops.reset(s->ops.ctx);
            send(s, M7_HL_RESET_OK, seq, 0);
        }
        return;
    case M7_HL_PROCESS:
        handle_process(s, seq, len);
        return;
    default:
        send_error(s, M7_HL_ERR_UNKNOWN_TYPE, type, seq);
        return;
    }
}

/* Drop leading bytes until rx starts like a frame (0xA5 0x7E ...) or is empty. */
static void resync(m7_hl_server_t *s, uint32_t drop)
{
    uint8_t *rx = rx_bytes(s);
    for (;;) {
        if (drop > 0u) {
            memmove(rx, rx + drop, s->have - drop);
            s->have -= drop;
            s->garbage_bytes += drop;
        }
        if (s->have == 0u) {
            s->state = M7_HL_HUNT;
            return;
        }
        if (rx[0] != M7_HL_SYNC0 || (s->have >= 2u && rx[1] != M7_HL_SYNC1)) {
            drop = 1;
            continue;
        }
        s->state = M7_HL_HEADER; /* at most 11 bytes remain: the header is not complete yet */
        return;
    }
}

static void header_complete(m7_hl_server_t *s)
{
    const uint8_t *f = rx_bytes(s);
    if (get32(f + 8) != m7_hl_crc32(0, f, 8)) {
        resync(s, 1);
        return;
    }
    uint32_t len = get16(f + 6);
    if (len > M7_HL_MAX_PAYLOAD) {
        send_error(s, M7_HL_ERR_OVERSIZE, f[2], (uint16_t)get16(f + 4));
        s->skip = len + M7_HL_CRC_BYTES;
        s->have = 0;
        s->state = M7_HL_SKIP;
        return;
    }
    s->need = M7_HL_HEADER_BYTES + len + M7_HL_CRC_BYTES;
    s->state = M7_HL_BODY;
}

void m7_hl_server_byte(m7_hl_server_t *s, uint8_t byte)
{
    uint8_t *rx = rx_bytes(s);
    switch (s->state) {
    case M7_HL_HUNT:
        if (byte == M7_HL_SYNC0) {
            rx[0] = byte;
            s->have = 1;
            s->state = M7_HL_HEADER;
        } else {
            s->garbage_bytes++;
        }
        return;
    case M7_HL_HEADER:
        rx[s->have++] = byte;
        if (s->have == 2u && byte != M7_HL_SYNC1) {
            resync(s, 1);
        } else if (s->have == M7_HL_HEADER_BYTES) {
            header_complete(s);
        }
        return;
    case M7_HL_BODY:
        rx[s->have++] = byte;
        if (s->have == s->need) {
            handle_frame(s);
            s->have = 0;
            s->state = M7_HL_HUNT;
        }
        return;
    case M7_HL_SKIP:
        if (--s->skip == 0u) {
            s->state = M7_HL_HUNT;
        }
        return;
    }
}

int m7_hl_server_in_frame(const m7_hl_server_t *s) { return s->state != M7_HL_HUNT; }

void m7_hl_server_timeout(m7_hl_server_t *s)
{
    const uint8_t *f = rx_bytes(s);
    if (s->state == M7_HL_BODY) {
        send_error(s, M7_HL_ERR_TIMEOUT, f[2], (uint16_t)get16(f + 4));
    } else if (s->state == M7_HL_HEADER && s->have >= 2u) {
        send_error(s, M7_HL_ERR_TIMEOUT, 0, 0); /* header incomplete: type and seq unknown */
    } else {
        s->garbage_bytes += s->have;
    }
    s->have = 0;
    s->state = M7_HL_HUNT;
}
