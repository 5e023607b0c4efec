/*
 * m7_hostlink.h - the host-link protocol (docs/hostlink.md): framed blocks of samples over a byte
 * stream (USART3 on the board, a pseudo-terminal on the host), answered with the engine's output and
 * the block's DWT cycles. Pure C11, no heap, no board code: the firmware app and the host test program
 * both link it and supply the I/O and the engine through m7_hl_ops_t.
 *
 * Frame (all integers little-endian):
 *   0  u8[2] sync     0xA5 0x7E
 *   2  u8    type     request 0x01 HELLO, 0x02 RESET, 0x03 PROCESS; reply = request | 0x80; 0xEE ERROR
 *   3  u8    flags    0 (reserved)
 *   4  u16   seq
 *   6  u16   len      payload bytes (<= M7_HL_MAX_PAYLOAD)
 *   8  u32   hcrc     CRC-32 of bytes 0..7
 *  12  u8[len] payload
 *  12+len u32 pcrc    CRC-32 of the payload (CRC-32 of nothing is 0)
 */
#ifndef M7_HOSTLINK_H
#define M7_HOSTLINK_H

#include <stddef.h>
#include <stdint.h>

#define M7_HL_VERSION 1u
#define M7_HL_SYNC0 0xA5u
#define M7_HL_SYNC1 0x7Eu
#define M7_HL_HEADER_BYTES 12u
#define M7_HL_CRC_BYTES 4u

/* Largest block of samples one PROCESS frame may carry (the firmware sizes its buffers with it). */
#ifndef M7_HL_MAX_BLOCK
#define M7_HL_MAX_BLOCK 256u
#endif
#define M7_HL_MAX_SAMPLE_BYTES 4u
/* Largest payload of any frame either way: an OUTPUT reply (u32 cycles + the samples). */
#define M7_HL_MAX_PAYLOAD (4u + M7_HL_MAX_BLOCK * M7_HL_MAX_SAMPLE_BYTES)
#define M7_HL_MAX_FRAME (M7_HL_HEADER_BYTES + M7_HL_MAX_PAYLOAD + M7_HL_CRC_BYTES)

/* Frame types. */
enum {
    M7_HL_HELLO = 0x01,   /* request, empty payload: reply INFO; also a sequence sync point */
    M7_HL_RESET = 0x02,   /* request, empty payload: engine state zeroed; reply RESET_OK; sync point */
    M7_HL_PROCESS = 0x03, /* request, payload = n samples (1 <= n <= max_block): reply OUTPUT */
    M7_HL_INFO = 0x81,
    M7_HL_RESET_OK = 0x82,
    M7_HL_OUTPUT = 0x83,  /* payload = u32 DWT cycles of the engine call, then n output samples */
    M7_HL_ERROR = 0xEE,   /* payload = m7_hl_error_t fields, then an ASCII message */
};

/* Reasons in an ERROR frame: the request named in it was not processed. */
typedef enum {
    M7_HL_ERR_BAD_CRC = 1,       /* payload CRC mismatch */
    M7_HL_ERR_TIMEOUT = 2,       /* frame truncated: no byte for the inter-byte timeout */
    M7_HL_ERR_BAD_LENGTH = 3,    /* payload length wrong for the type (or not whole samples) */
    M7_HL_ERR_OUT_OF_ORDER = 4,  /* PROCESS seq is neither the expected one nor a repeat */
    M7_HL_ERR_REPEATED = 5,      /* PROCESS seq repeats the last processed one */
    M7_HL_ERR_UNKNOWN_TYPE = 6,  /* type is not a request this side knows */
    M7_HL_ERR_OVERSIZE = 7,      /* len > M7_HL_MAX_PAYLOAD (the payload is skipped, not stored) */
    M7_HL_ERR_ENGINE = 8,        /* the engine call failed */
} m7_hl_reason_t;

/* ERROR payload layout: u8 reason, u8 type of the rejected frame (0 if unknown), u16 its seq,
 * u16 the seq the next PROCESS must carry, then the message (no terminator). */
#define M7_HL_ERROR_FIXED_BYTES 6u

/* INFO payload layout (M7_HL_INFO_BYTES + name):
 *   0 u8 protocol version   1 u8 precision (0 f32, 1 q15)   2 u8 bytes per sample (4 or 2)   3 u8 0
 *   4 u16 max block          6 u16 n knobs (0)               8 u32 sample rate (Hz)
 *  12 u32 core clock (Hz)   16 u32 inter-byte timeout (ms)  20 u8 name length  21 name (ASCII) */
#define M7_HL_INFO_BYTES 21u
#define M7_HL_MAX_NAME 32u

/* What the server needs from its platform. */
typedef struct {
    void *ctx;
    /* Send bytes (blocking until queued). */
    void (*write)(void *ctx, const uint8_t *data, size_t n);
    /* Run the engine on n samples in the wire format (LE; aligned to 4); set *cycles to the DWT cycles
     * of the call. Return 0 on success, else the engine's status (then M7_HL_ERR_ENGINE is sent). */
    int (*process)(void *ctx, const void *in, void *out, uint32_t n, uint32_t *cycles);
    /* Zero the engine state. */
    void (*reset)(void *ctx);
} m7_hl_ops_t;

/* What HELLO reports. */
typedef struct {
    const char *model_name;
    uint8_t precision;     /* 0 f32, 1 q15 */
    uint8_t sample_bytes;  /* 4 (float32) or 2 (int16 Q15) */
    uint16_t max_block;    /* <= M7_HL_MAX_BLOCK */
    uint16_t n_knobs;
    uint32_t sample_rate;
    uint32_t core_hz;
    uint32_t timeout_ms;
} m7_hl_info_t;

/* Receiver states. */
typedef enum { M7_HL_HUNT, M7_HL_HEADER, M7_HL_BODY, M7_HL_SKIP } m7_hl_rx_state_t;

/* One server: parser state, sequence expectation and the frame buffers (no heap, ~2.1 KB). */
typedef struct {
    m7_hl_ops_t ops;
    m7_hl_info_t info;
    m7_hl_rx_state_t state;
    uint32_t have;           /* bytes of the current frame in rx */
    uint32_t need;           /* bytes the current frame has in all (HEADER: 12; BODY: 12+len+4) */
    uint32_t skip;           /* SKIP: bytes of an oversize frame still to drop */
    uint16_t expect_seq;     /* the seq the next PROCESS must carry */
    uint8_t seq_valid;       /* a PROCESS was accepted since the last sync (REPEATED is then known) */
    uint32_t garbage_bytes;  /* bytes dropped while hunting for a frame (statistics) */
    uint32_t frames_ok;
    uint32_t frames_rejected;
    uint32_t rx[(M7_HL_MAX_FRAME + 3u) / 4u];  /* words: the payload at offset 12 is 4-aligned */
    uint32_t tx[(M7_HL_MAX_FRAME + 3u) / 4u];
} m7_hl_server_t;

/* CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320, init and final xor 0xFFFFFFFF; zlib.crc32).
 * Chain calls by passing the previous result as @p crc (start with 0). */
uint32_t m7_hl_crc32(uint32_t crc, const void *data, size_t n);

/* Set up @p s (hunting, expecting seq 0). @p info->max_block is clamped to M7_HL_MAX_BLOCK. */
void m7_hl_server_init(m7_hl_server_t *s, const m7_hl_ops_t *ops, const m7_hl_info_t *info);

/* Feed one received byte; a complete frame is handled (and answered) inside this call. */
void m7_hl_server_byte(m7_hl_server_t *s, uint8_t byte);

/* True while a frame is partly received (the platform then runs the inter-byte timeout). */
int m7_hl_server_in_frame(const m7_hl_server_t *s);

/* The inter-byte timeout expired: a partly received frame is dropped with M7_HL_ERR_TIMEOUT. */
void m7_hl_server_timeout(m7_hl_server_t *s);

/* Encode a frame into @p out (capacity @p cap); returns its size, 0 if it does not fit. */
size_t m7_hl_encode(uint8_t *out, size_t cap, uint8_t type, uint16_t seq, const void *payload, size_t len);

#endif /* M7_HOSTLINK_H */
