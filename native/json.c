/*
 * The JSON reader of json.h. Its structure follows V8's JsonParser
 * (src/json/json-parser.cc) closely enough that every error names the same
 * message template and cursor position: the model runs JSON.parse on the
 * same trimmed line, and a script author should not see two wordings.
 */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* V8: kMaxContextCharacters and kMinOriginalSourceLengthForContext. */
#define CONTEXT_CHARS 10
#define MIN_LENGTH_FOR_CONTEXT (CONTEXT_CHARS * 2 + 1)
/* Deeper nesting than this is refused rather than risk the stack. */
#define MAX_DEPTH 2000

struct parser {
	const char *src;
	size_t len;
	size_t pos; /* byte offset of the cursor */
	struct arena *arena;
	struct sbuf *err;
	bool failed;
	int depth;
};

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
static void fail_at_template(struct parser *p, const char *message, const char *tail)
{
	if (p->failed)
		return;
	p->failed = true;
	sbuf_printf(p->err, "%s%s%zu", message, tail, units_before(p->src, p->pos));
}

static void fail_at(struct parser *p, const char *message)
{
	fail_at_template(p, message, " in JSON at position ");
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
static void fail_unexpected(struct parser *p)
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
		fail_at(p, "Unexpected string");
		return;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		fail_at(p, "Unexpected number");
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
	sbuf_put(p->err, p->src + p->pos, char_bytes(p->src, p->len, p->pos));
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

static void skip_space(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->src[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int peek(struct parser *p)
{
	skip_space(p);
	return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}

static bool check(struct parser *p, char c)
{
	if (peek(p) != (unsigned char)c)
		return false;
	p->pos++;
	return true;
}

static void *grow(struct parser *p, void *old, size_t count, size_t *cap, size_t size)
{
	if (count < *cap)
		return old;
	size_t cap2 = *cap ? *cap * 2 : 8;
	void *fresh = arena_alloc(p->arena, cap2 * size);
	if (old)
		memcpy(fresh, old, count * size);
	*cap = cap2;
	return fresh;
}

static struct jv *new_value(struct parser *p, enum jkind kind)
{
	struct jv *v = arena_alloc(p->arena, sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	return v;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct sbuf *b, unsigned cp)
{
	char u[4];
	if (cp < 0x80) {
		u[0] = (char)cp;
		sbuf_put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		sbuf_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		sbuf_put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		sbuf_put(b, u, 4);
	}
}

/* Four hex digits after "\u"; the cursor stops on the first bad one, as V8's does. */
static int scan_unicode(struct parser *p)
{
	int value = 0;
	for (int i = 0; i < 4; i++) {
		p->pos++;
		int d = p->pos < p->len ? hex_value((unsigned char)p->src[p->pos]) : -1;
		if (d < 0)
			return -1;
		value = value * 16 + d;
	}
	return value;
}

/* The cursor is on the opening quote. */
static bool scan_string(struct parser *p, const char **out, size_t *outlen)
{
	struct sbuf s = { 0 };
	unsigned pending_high = 0; /* a high surrogate waiting for its low half */
	p->pos++;
	for (;;) {
		if (p->pos >= p->len) {
			fail_at(p, "Unterminated string");
			break;
		}
		unsigned char c = (unsigned char)p->src[p->pos];
		if (c == '"') {
			p->pos++;
			if (pending_high)
				put_utf8(&s, pending_high);
			char *copy = arena_alloc(p->arena, s.len + 1);
			memcpy(copy, sbuf_str(&s), s.len + 1);
			*out = copy;
			*outlen = s.len;
			sbuf_free(&s);
			return true;
		}
		if (c < 0x20) {
			fail_at(p, "Bad control character in string literal");
			break;
		}
		if (c != '\\') {
			if (pending_high) {
				put_utf8(&s, pending_high);
				pending_high = 0;
			}
			sbuf_putc(&s, (char)c);
			p->pos++;
			continue;
		}
		p->pos++;
		int e = p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
		unsigned cp;
		if (e < 0) {
			fail_unexpected(p); /* a backslash at the very end: V8 reports the end of input */
			goto failed;
		}
		switch (e) {
		case '"': case '\\': case '/': cp = (unsigned)e; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u': {
			int u = scan_unicode(p);
			if (u < 0) {
				fail_at(p, "Bad Unicode escape");
				goto failed;
			}
			cp = (unsigned)u;
			break;
		}
		default:
			fail_at(p, "Bad escaped character");
			goto failed;
		}
		p->pos++;
		if (pending_high && cp >= 0xdc00 && cp <= 0xdfff) {
			put_utf8(&s, 0x10000 + ((pending_high - 0xd800) << 10) + (cp - 0xdc00));
			pending_high = 0;
			continue;
		}
		if (pending_high) {
			put_utf8(&s, pending_high);
			pending_high = 0;
		}
		if (cp >= 0xd800 && cp <= 0xdbff)
			pending_high = cp;
		else
			put_utf8(&s, cp);
	}
failed:
	sbuf_free(&s);
	return false;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int cur(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->src[p->pos] : -1;
}

static struct jv *parse_number(struct parser *p)
{
	size_t start = p->pos;
	if (cur(p) == '-')
		p->pos++;
	if (cur(p) == '0') {
		p->pos++;
		if (is_digit(cur(p))) {
			fail_unexpected(p);
			return NULL;
		}
	} else {
		if (!is_digit(cur(p))) {
			fail_at(p, "No number after minus sign");
			return NULL;
		}
		while (is_digit(cur(p)))
			p->pos++;
	}
	if (cur(p) == '.') {
		p->pos++;
		if (!is_digit(cur(p))) {
			fail_at(p, "Unterminated fractional number");
			return NULL;
		}
		while (is_digit(cur(p)))
			p->pos++;
	}
	if (cur(p) == 'e' || cur(p) == 'E') {
		p->pos++;
		if (cur(p) == '-' || cur(p) == '+')
			p->pos++;
		if (!is_digit(cur(p))) {
			fail_at(p, "Exponent part is missing a number");
			return NULL;
		}
		while (is_digit(cur(p)))
			p->pos++;
	}
	size_t n = p->pos - start;
	char *text = arena_alloc(p->arena, n + 1);
	memcpy(text, p->src + start, n);
	text[n] = '\0';
	struct jv *v = new_value(p, J_NUMBER);
	v->number = strtod(text, NULL);
	return v;
}

/* The cursor is on the literal's first letter, already matched. */
static struct jv *scan_literal(struct parser *p, const char *word, enum jkind kind)
{
	size_t n = strlen(word);
	p->pos++;
	for (size_t i = 1; i < n; i++, p->pos++) {
		if (p->pos >= p->len || p->src[p->pos] != word[i]) {
			fail_unexpected(p);
			return NULL;
		}
	}
	return new_value(p, kind);
}

static struct jv *parse_value(struct parser *p);

static struct jv *parse_object(struct parser *p)
{
	struct jv *obj = new_value(p, J_OBJECT);
	size_t cap = 0;
	p->pos++;
	if (check(p, '}'))
		return obj;
	const char *expect_key = "Expected property name or '}'";
	for (;;) {
		if (peek(p) != '"') {
			fail_at(p, expect_key);
			return NULL;
		}
		struct jmember m = { 0 };
		if (!scan_string(p, &m.key, &m.keylen))
			return NULL;
		if (!check(p, ':')) {
			fail_at(p, "Expected ':' after property name");
			return NULL;
		}
		m.value = parse_value(p);
		if (!m.value)
			return NULL;
		obj->members = grow(p, obj->members, obj->n, &cap, sizeof(m));
		obj->members[obj->n++] = m;
		if (check(p, ','))
			expect_key = "Expected double-quoted property name";
		else if (check(p, '}'))
			return obj;
		else {
			fail_at(p, "Expected ',' or '}' after property value");
			return NULL;
		}
	}
}

static struct jv *parse_array(struct parser *p)
{
	struct jv *arr = new_value(p, J_ARRAY);
	size_t cap = 0;
	p->pos++;
	if (check(p, ']'))
		return arr;
	for (;;) {
		struct jv *item = parse_value(p);
		if (!item)
			return NULL;
		arr->items = grow(p, arr->items, arr->n, &cap, sizeof(item));
		arr->items[arr->n++] = item;
		if (check(p, ','))
			continue;
		if (check(p, ']'))
			return arr;
		fail_at(p, "Expected ',' or ']' after array element");
		return NULL;
	}
}

static struct jv *parse_value(struct parser *p)
{
	int c = peek(p);
	if (c == '{' || c == '[') {
		if (++p->depth > MAX_DEPTH) {
			p->failed = true;
			sbuf_printf(p->err, "nesting deeper than %d levels", MAX_DEPTH);
			return NULL;
		}
		struct jv *v = c == '{' ? parse_object(p) : parse_array(p);
		p->depth--;
		return v;
	}
	if (c == '"') {
		struct jv *v = new_value(p, J_STRING);
		return scan_string(p, &v->str, &v->len) ? v : NULL;
	}
	if (c == '-' || is_digit(c))
		return parse_number(p);
	if (c == 't')
		return scan_literal(p, "true", J_TRUE);
	if (c == 'f')
		return scan_literal(p, "false", J_FALSE);
	if (c == 'n')
		return scan_literal(p, "null", J_NULL);
	fail_unexpected(p);
	return NULL;
}

struct jv *json_parse(const char *src, size_t len, struct arena *a, struct sbuf *err)
{
	struct parser p = { .src = src, .len = len, .arena = a, .err = err };
	struct jv *v = parse_value(&p);
	if (v && peek(&p) != -1) {
		fail_at_template(&p, "Unexpected non-whitespace character after JSON", " at position ");
		v = NULL;
	}
	return p.failed ? NULL : v;
}

static const struct jv *get_n(const struct jv *obj, const char *key, size_t n)
{
	if (!obj || obj->kind != J_OBJECT)
		return NULL;
	for (size_t i = obj->n; i-- > 0;)
		if (obj->members[i].keylen == n && memcmp(obj->members[i].key, key, n) == 0)
			return obj->members[i].value;
	return NULL;
}

const struct jv *json_get(const struct jv *obj, const char *key)
{
	return get_n(obj, key, strlen(key));
}

/* ECMAScript Number::toString: the shortest digits that round-trip, then the spec's layout rules. */
void js_number(double d, struct sbuf *out)
{
	if (isnan(d)) {
		sbuf_puts(out, "NaN");
		return;
	}
	if (isinf(d)) {
		sbuf_puts(out, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		sbuf_putc(out, '0');
		return;
	}
	if (d < 0) {
		sbuf_putc(out, '-');
		d = -d;
	}
	char buf[64];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* buf is "D.DDDDe+XX": collect the digits k and the exponent n (value = 0.digits * 10^n). */
	char digits[32];
	int k = 0;
	char *e = strchr(buf, 'e');
	for (char *q = buf; q < e; q++)
		if (*q != '.')
			digits[k++] = *q;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	int n = atoi(e + 1) + 1;
	if (k <= n && n <= 21) {
		sbuf_puts(out, digits);
		for (int i = k; i < n; i++)
			sbuf_putc(out, '0');
	} else if (0 < n && n <= 21) {
		sbuf_put(out, digits, (size_t)n);
		sbuf_putc(out, '.');
		sbuf_puts(out, digits + n);
	} else if (-6 < n && n <= 0) {
		sbuf_puts(out, "0.");
		for (int i = 0; i < -n; i++)
			sbuf_putc(out, '0');
		sbuf_puts(out, digits);
	} else {
		sbuf_putc(out, digits[0]);
		if (k > 1) {
			sbuf_putc(out, '.');
			sbuf_puts(out, digits + 1);
		}
		sbuf_printf(out, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
}

/* A canonical array index ("0", "7", "42"; below 2^32-1) sorts first in a JavaScript object. */
static bool array_index(const char *key, size_t len, unsigned long long *out)
{
	if (len == 0 || len > 10 || (len > 1 && key[0] == '0'))
		return false;
	unsigned long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((unsigned char)key[i]))
			return false;
		v = v * 10 + (unsigned long long)(key[i] - '0');
	}
	*out = v;
	return v < 4294967295ULL;
}

static bool is_first_of_key(const struct jv *obj, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (obj->members[j].keylen == obj->members[i].keylen &&
		    memcmp(obj->members[j].key, obj->members[i].key, obj->members[i].keylen) == 0)
			return false;
	return true;
}

static void stringify_member(const struct jv *obj, size_t i, bool *first, struct sbuf *out)
{
	if (!*first)
		sbuf_putc(out, ',');
	*first = false;
	sbuf_json_string(out, obj->members[i].key, obj->members[i].keylen);
	sbuf_putc(out, ':');
	js_stringify(get_n(obj, obj->members[i].key, obj->members[i].keylen), out);
}

void js_stringify(const struct jv *v, struct sbuf *out)
{
	switch (v->kind) {
	case J_NULL: sbuf_puts(out, "null"); return;
	case J_FALSE: sbuf_puts(out, "false"); return;
	case J_TRUE: sbuf_puts(out, "true"); return;
	case J_NUMBER:
		if (isfinite(v->number))
			js_number(v->number, out);
		else
			sbuf_puts(out, "null");
		return;
	case J_STRING: sbuf_json_string(out, v->str, v->len); return;
	case J_ARRAY:
		sbuf_putc(out, '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sbuf_putc(out, ',');
			js_stringify(v->items[i], out);
		}
		sbuf_putc(out, ']');
		return;
	case J_OBJECT: {
		/* Array indexes first in ascending order, then the other keys in insertion order. */
		sbuf_putc(out, '{');
		bool first = true;
		unsigned long long last = 0, idx;
		bool any = true;
		bool started = false;
		while (any) {
			any = false;
			size_t best = 0;
			unsigned long long best_idx = 0;
			for (size_t i = 0; i < v->n; i++) {
				if (!array_index(v->members[i].key, v->members[i].keylen, &idx) || (started && idx <= last))
					continue;
				if (!any || idx < best_idx) {
					best = i;
					best_idx = idx;
					any = true;
				}
			}
			if (any) {
				stringify_member(v, best, &first, out);
				last = best_idx;
				started = true;
			}
		}
		for (size_t i = 0; i < v->n; i++)
			if (!array_index(v->members[i].key, v->members[i].keylen, &idx) && is_first_of_key(v, i))
				stringify_member(v, i, &first, out);
		sbuf_putc(out, '}');
		return;
	}
	}
}

void js_string_of(const struct jv *v, struct sbuf *out)
{
	switch (v->kind) {
	case J_NULL: sbuf_puts(out, "null"); return;
	case J_FALSE: sbuf_puts(out, "false"); return;
	case J_TRUE: sbuf_puts(out, "true"); return;
	case J_NUMBER: js_number(v->number, out); return;
	case J_STRING: sbuf_put(out, v->str, v->len); return;
	case J_ARRAY:
		/* Array.prototype.join(","): null items are empty. */
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sbuf_putc(out, ',');
			if (v->items[i]->kind != J_NULL)
				js_string_of(v->items[i], out);
		}
		return;
	case J_OBJECT: sbuf_puts(out, "[object Object]"); return;
	}
}

/* The code point of the UTF-8 sequence at s[i], or -1 when it is not one. */
static long code_point_at(const char *s, size_t len, size_t i, size_t *bytes)
{
	unsigned char c = (unsigned char)s[i];
	if (c < 0x80) {
		*bytes = 1;
		return c;
	}
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	if (n == 0 || i + n > len)
		return -1;
	long cp = c & (0xff >> (n + 1));
	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | ((unsigned char)s[i + k] & 0x3f);
	*bytes = n;
	return cp;
}

static bool js_space(long cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0b || cp == 0x0c || cp == 0x0d || cp == 0x20 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

void js_trim(const char *src, size_t len, size_t *start, size_t *end)
{
	size_t i = 0, bytes = 0;
	while (i < len && js_space(code_point_at(src, len, i, &bytes)))
		i += bytes;
	size_t j = len;
	while (j > i) {
		size_t k = j - 1;
		while (k > i && ((unsigned char)src[k] & 0xc0) == 0x80)
			k--;
		if (!js_space(code_point_at(src, len, k, &bytes)) || k + bytes != j)
			break;
		j = k;
	}
	*start = i;
	*end = j;
}
