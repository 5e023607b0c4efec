/*
 * m7_print.c - the formatter behind m7_printf (see m7_print.h). Pure C11, no heap, no libc stdio,
 * no libm: it also builds for the host so tests can compare it with Python's % formatting.
 */
#include "m7_print.h"

#include <stdint.h>

#define M7_MAX_FRAC_DIGITS 30 /* %f precision is clamped to this */

typedef struct {
    m7_putc_fn put;
    void *ctx;
    int count;
} out_t;

typedef struct {
    int left;  /* '-' */
    int zero;  /* '0' */
    int plus;  /* '+' */
    int space; /* ' ' */
    int width;
    int prec; /* -1: not given */
} spec_t;

static void emit(out_t *o, char c)
{
    o->put(c, o->ctx);
    o->count++;
}

static void emit_n(out_t *o, char c, int n)
{
    for (; n > 0; n--) {
        emit(o, c);
    }
}

/* Writes sign + body padded to the field width. zero_ok: '0' padding allowed for this conversion. */
static void emit_field(out_t *o, const spec_t *s, char sign, const char *body, int len, int zero_ok)
{
    int pad = s->width - len - (sign ? 1 : 0);
    int zero = s->zero && zero_ok && !s->left;
    if (!s->left && !zero) {
        emit_n(o, ' ', pad);
    }
    if (sign) {
        emit(o, sign);
    }
    if (zero) {
        emit_n(o, '0', pad);
    }
    for (int i = 0; i < len; i++) {
        emit(o, body[i]);
    }
    if (s->left) {
        emit_n(o, ' ', pad);
    }
}

/* Digits of v in the given base, most significant first, into buf; returns their count. */
static int utoa_rev(uint64_t v, unsigned base, int upper, char *buf)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0);
    for (int i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    return n;
}

static void fmt_integer(out_t *o, const spec_t *s, uint64_t mag, int negative, unsigned base, int upper)
{
    char body[48];
    int len = 0;
    char digits[24];
    int nd = (mag == 0 && s->prec == 0) ? 0 : utoa_rev(mag, base, upper, digits);
    int prec = s->prec > 40 ? 40 : s->prec;
    for (int i = nd; i < prec; i++) {
        body[len++] = '0';
    }
    for (int i = 0; i < nd; i++) {
        body[len++] = digits[i];
    }
    char sign = negative ? '-' : (s->plus ? '+' : (s->space ? ' ' : 0));
    emit_field(o, s, sign, body, len, s->prec < 0);
}

/*
 * %f: exact decimal expansion, then round-half-even, like glibc and Python.
 * |v| = M * 2^(E-52) with a 53-bit M. The fraction part is held exactly as a multi-limb binary
 * fraction N / 2^(32*L) (L <= 34 limbs covers the smallest subnormal, 2^-1074), so every digit is
 * exact and ties are recognised exactly. Numbers of ordinary size need one or two limbs.
 */
#define M7_FRAC_LIMBS 35

/* limb[] *= 10; returns the decimal digit carried out of the top (the next digit). */
static unsigned frac_times_10(uint32_t *limb, int n)
{
    uint32_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)limb[i] * 10U + carry;
        limb[i] = (uint32_t)t;
        carry = (uint32_t)(t >> 32);
    }
    return carry;
}

/* Compares the fraction limb[0..n) with one half: -1 below, 0 equal, 1 above. */
static int frac_vs_half(const uint32_t *limb, int n)
{
    if (n == 0 || limb[n - 1] < 0x80000000U) {
        return -1;
    }
    if (limb[n - 1] > 0x80000000U) {
        return 1;
    }
    for (int i = 0; i < n - 1; i++) {
        if (limb[i] != 0U) {
            return 1;
        }
    }
    return 0;
}

static void fmt_double(out_t *o, const spec_t *s, double v)
{
    int neg = __builtin_signbit(v) != 0;
    char sign = neg ? '-' : (s->plus ? '+' : (s->space ? ' ' : 0));
    if (__builtin_isnan(v)) {
        emit_field(o, s, s->plus ? '+' : (s->space ? ' ' : 0), "nan", 3, 0);
        return;
    }
    if (__builtin_isinf(v)) {
        emit_field(o, s, sign, "inf", 3, 0);
        return;
    }
    double a = __builtin_fabs(v);
    if (a >= 18446744073709551616.0) { /* 2^64: beyond the integer part this formatter handles */
        emit_field(o, s, sign, "ovf", 3, 0);
        return;
    }
    int prec = s->prec < 0 ? 6 : (s->prec > M7_MAX_FRAC_DIGITS ? M7_MAX_FRAC_DIGITS : s->prec);

    /* split |v| = M * 2^-shift into integer part ip and fraction limb[] / 2^(32*nl) */
    uint64_t raw;
    __builtin_memcpy(&raw, &a, sizeof raw);
    int bexp = (int)((raw >> 52) & 0x7FFU);
    uint64_t mant = raw & ((1ULL << 52) - 1U);
    if (bexp != 0) {
        mant |= 1ULL << 52;
    } else {
        bexp = 1; /* subnormal */
    }
    int shift = 1075 - bexp; /* v = mant * 2^-shift */
    uint64_t ip, fnum;
    if (shift <= 0) {
        ip = mant << -shift; /* < 2^64, checked above */
        fnum = 0;
    } else if (shift < 64) {
        ip = mant >> shift;
        fnum = mant & ((1ULL << shift) - 1U);
    } else {
        ip = 0;
        fnum = mant;
    }
    uint32_t limb[M7_FRAC_LIMBS] = {0};
    int nl = shift > 0 ? (shift + 31) / 32 : 0;
    if (fnum != 0U) {
        /* place fnum * 2^(32*nl - shift) into the limbs */
        int up = 32 * nl - shift; /* 0..31 */
        limb[0] = (uint32_t)(fnum << up);
        limb[1] = (uint32_t)((fnum << up) >> 32);
        limb[2] = up ? (uint32_t)(fnum >> (64 - up)) : 0U; /* fnum < 2^53, up < 32: 3 limbs suffice */
    }

    char fd[M7_MAX_FRAC_DIGITS];
    for (int i = 0; i < prec; i++) {
        fd[i] = (char)('0' + frac_times_10(limb, nl));
    }
    int cmp = frac_vs_half(limb, nl);
    int last_odd = prec > 0 ? ((fd[prec - 1] - '0') & 1) : (int)(ip & 1U);
    if (cmp > 0 || (cmp == 0 && last_odd)) {
        int i = prec - 1;
        for (; i >= 0 && fd[i] == '9'; i--) {
            fd[i] = '0';
        }
        if (i >= 0) {
            fd[i]++;
        } else {
            ip++;
        }
    }

    char body[24 + 1 + M7_MAX_FRAC_DIGITS];
    int len = utoa_rev(ip, 10, 0, body);
    if (prec > 0) {
        body[len++] = '.';
        for (int i = 0; i < prec; i++) {
            body[len++] = fd[i];
        }
    }
    emit_field(o, s, sign, body, len, 1);
}

int m7_vformat(m7_putc_fn put, void *ctx, const char *fmt, va_list ap)
{
    out_t o = {put, ctx, 0};
    while (*fmt) {
        if (*fmt != '%') {
            emit(&o, *fmt++);
            continue;
        }
        const char *start = fmt++;
        spec_t s = {0, 0, 0, 0, 0, -1};
        for (;; fmt++) {
            if (*fmt == '-') {
                s.left = 1;
            } else if (*fmt == '0') {
                s.zero = 1;
            } else if (*fmt == '+') {
                s.plus = 1;
            } else if (*fmt == ' ') {
                s.space = 1;
            } else {
                break;
            }
        }
        while (*fmt >= '0' && *fmt <= '9') {
            s.width = s.width * 10 + (*fmt++ - '0');
            if (s.width > 200) {
                s.width = 200;
            }
        }
        if (*fmt == '.') {
            fmt++;
            s.prec = 0;
            while (*fmt >= '0' && *fmt <= '9') {
                s.prec = s.prec * 10 + (*fmt++ - '0');
                if (s.prec > 200) {
                    s.prec = 200;
                }
            }
        }
        int lng = 0; /* 1: l, 2: ll, 3: z */
        if (*fmt == 'l') {
            fmt++;
            lng = 1;
            if (*fmt == 'l') {
                fmt++;
                lng = 2;
            }
        } else if (*fmt == 'z') {
            fmt++;
            lng = 3;
        }
        char conv = *fmt;
        if (conv == '\0') {
            break;
        }
        fmt++;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v = lng == 2 ? va_arg(ap, long long)
                      : lng == 1 ? va_arg(ap, long)
                      : lng == 3 ? (int64_t)va_arg(ap, size_t)
                                 : va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            fmt_integer(&o, &s, mag, v < 0, 10, 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng == 2 ? va_arg(ap, unsigned long long)
                       : lng == 1 ? va_arg(ap, unsigned long)
                       : lng == 3 ? va_arg(ap, size_t)
                                  : va_arg(ap, unsigned);
            s.plus = s.space = 0; /* sign flags apply to signed conversions only */
            fmt_integer(&o, &s, v, 0, conv == 'u' ? 10U : 16U, conv == 'X');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(&o, &s, 0, &c, 1, 0);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL) {
                str = "(null)";
            }
            int len = 0;
            while (str[len] != '\0' && (s.prec < 0 || len < s.prec)) {
                len++;
            }
            emit_field(&o, &s, 0, str, len, 0);
            break;
        }
        case 'f':
        case 'F':
            fmt_double(&o, &s, va_arg(ap, double));
            break;
        case '%':
            emit(&o, '%');
            break;
        default: /* unsupported: show the directive as written */
            while (start < fmt) {
                emit(&o, *start++);
            }
            break;
        }
    }
    return o.count;
}

typedef struct {
    char *buf;
    size_t size;
    size_t pos;
} buf_sink_t;

static void buf_put(char c, void *ctx)
{
    buf_sink_t *b = ctx;
    if (b->pos + 1 < b->size) {
        b->buf[b->pos] = c;
    }
    b->pos++;
}

int m7_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    buf_sink_t b = {buf, size, 0};
    int n = m7_vformat(buf_put, &b, fmt, ap);
    if (size > 0) {
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    }
    return n;
}

int m7_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = m7_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
