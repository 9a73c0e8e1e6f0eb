/* The error reports of the JSON reader, in V8's words (json-internal.h). */
#include <string.h>

#include "json-internal.h"

/* V8: kMaxContextCharacters and kMinOriginalSourceLengthForContext. */
#define CONTEXT_CHARS 10
#define MIN_LENGTH_FOR_CONTEXT (CONTEXT_CHARS * 2 + 1)

/* V8 positions count UTF-16 code units; the line is UTF-8. */
static size_t units_before(const char *s, size_t bytes)
{
	size_t units = 0;
	for (size_t i = 0; i < bytes; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xc0) != 0x80)
			units += c >= 0xf0 ? 2 : 1;
	}
	return units;
}

static size_t byte_at_unit(const char *s, size_t len, size_t unit)
{
	size_t i = 0;
	while (i < len && units_before(s, i) < unit) {
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

static size_t char_bytes(const char *s, size_t len, size_t at)
{
	size_t n = 1;
	while (at + n < len && ((unsigned char)s[at + n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* V8's templates end "in JSON at position N", but for trailing garbage ("after JSON at position N"). */
void json_fail_at_template(struct parser *p, const char *message, const char *tail)
{
	if (p->failed)
		return;
	p->failed = true;
	sbuf_printf(p->err, "%s%s%zu", message, tail, units_before(p->src, p->pos));
}

void json_fail_at(struct parser *p, const char *message)
{
	json_fail_at_template(p, message, " in JSON at position ");
}

static bool is_special_source(const struct parser *p)
{
	static const char *const special[] = { "[object Object]", "undefined", "Infinity", "NaN" };
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strlen(special[i]) == p->len && memcmp(special[i], p->src, p->len) == 0)
			return true;
	return false;
}

/* V8's ReportUnexpectedToken without an explicit message: the message follows the token at the cursor. */
void json_fail_unexpected(struct parser *p)
{
	if (p->failed)
		return;
	if (p->pos >= p->len) {
		p->failed = true;
		sbuf_puts(p->err, "Unexpected end of JSON input");
		return;
	}
	char c = p->src[p->pos];
	if (c == '"') {
		json_fail_at(p, "Unexpected string");
		return;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		json_fail_at(p, "Unexpected number");
		return;
	}
	p->failed = true;
	if (is_special_source(p)) {
		sbuf_putc(p->err, '"');
		sbuf_put(p->err, p->src, p->len);
		sbuf_puts(p->err, "\" is not valid JSON");
		return;
	}
	sbuf_puts(p->err, "Unexpected token '");
	/*
	 * V8 names one UTF-16 code unit: for a character beyond U+FFFF that is a
	 * lone high surrogate, which Node writes to stderr as U+FFFD.
	 */
	size_t n = char_bytes(p->src, p->len, p->pos);
	if ((unsigned char)p->src[p->pos] >= 0xf0)
		sbuf_puts(p->err, "\xef\xbf\xbd");
	else
		sbuf_put(p->err, p->src + p->pos, n);
	sbuf_puts(p->err, "', ");
	size_t total = units_before(p->src, p->len);
	size_t pos = units_before(p->src, p->pos);
	if (total < MIN_LENGTH_FOR_CONTEXT) {
		sbuf_putc(p->err, '"');
		sbuf_put(p->err, p->src, p->len);
		sbuf_puts(p->err, "\" is not valid JSON");
		return;
	}
	size_t from = 0, to = total;
	bool before = false, after = false;
	if (pos < CONTEXT_CHARS) {
		to = pos + CONTEXT_CHARS;
		after = true;
	} else if (pos < total - CONTEXT_CHARS) {
		from = pos - CONTEXT_CHARS;
		to = pos + CONTEXT_CHARS;
		before = after = true;
	} else {
		from = pos - CONTEXT_CHARS;
		before = true;
	}
	size_t b0 = byte_at_unit(p->src, p->len, from), b1 = byte_at_unit(p->src, p->len, to);
	sbuf_puts(p->err, before ? "...\"" : "\"");
	sbuf_put(p->err, p->src + b0, b1 - b0);
	sbuf_puts(p->err, after ? "\"... is not valid JSON" : "\" is not valid JSON");
}
