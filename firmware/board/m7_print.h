/*
 * m7_print.h - a tiny printf-like formatter with no heap and no libc stdio (pure C: builds for the
 * target and for the host, where pytest checks it against Python's % formatting).
 *
 * Conversions: %d %i %u %x %X %c %s %f %%, with flags '-' '0' '+' ' ', a field width, a precision
 * (%.3f: digits after the point, default 6; %.5s: at most 5 characters; %.3d: at least 3 digits)
 * and the length modifiers l, ll, z. %f is correctly rounded (round-half-even on the exact binary
 * value, like glibc and Python) for |x| < 2^64; larger magnitudes print as "ovf".
 * Not supported (printed literally): %e %g %p %n, '*' widths, the '#' flag.
 */
#ifndef M7_PRINT_H
#define M7_PRINT_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output sink: called once per character. */
typedef void (*m7_putc_fn)(char c, void *ctx);

/* Formats to a sink; returns the number of characters produced. */
int m7_vformat(m7_putc_fn put, void *ctx, const char *fmt, va_list ap);

/* Formats into buf (always NUL-terminated when size > 0, truncated to size - 1 characters);
 * returns the length the full output would have had, like C99 snprintf. */
int m7_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int m7_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* M7_PRINT_H */
