/*
 * A growable byte string (answers, error messages). Allocation failure is
 * an internal failure: the probe exits 1.
 */
#ifndef VDPA_PROBE_SBUF_H
#define VDPA_PROBE_SBUF_H

#include <stddef.h>
#include <stdint.h>

struct sbuf {
	char *data; /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
};

void sbuf_put(struct sbuf *b, const char *bytes, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_putc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "0x" + lower-case hex without leading zeros, like the model's hex(). */
void sbuf_hex(struct sbuf *b, uint64_t v);
/* bytes as a JSON string literal, escaped the way JSON.stringify does. */
void sbuf_json_string(struct sbuf *b, const char *s, size_t n);
void sbuf_clear(struct sbuf *b);
void sbuf_free(struct sbuf *b);
/* The text so far ("" when nothing was appended). */
const char *sbuf_str(const struct sbuf *b);

/* Prints "internal error: <what>" and exits 1 (out of memory, a broken pipe). */
void die_internal(const char *what) __attribute__((noreturn));

#endif
