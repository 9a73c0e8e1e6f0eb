/*
 * The JSON reader of json.h. Its structure follows V8's JsonParser
 * (src/json/json-parser.cc) closely enough that every error names the same
 * message template and cursor position: the model runs JSON.parse on the
 * same trimmed line, and a script author should not see two wordings.
 */
#include "json.h"
#include "json-internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
			json_fail_at(p, "Unterminated string");
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
			json_fail_at(p, "Bad control character in string literal");
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
			json_fail_unexpected(p); /* a backslash at the very end: V8 reports the end of input */
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
				json_fail_at(p, "Bad Unicode escape");
				goto failed;
			}
			cp = (unsigned)u;
			break;
		}
		default:
			json_fail_at(p, "Bad escaped character");
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
			json_fail_unexpected(p);
			return NULL;
		}
	} else {
		if (!is_digit(cur(p))) {
			json_fail_at(p, "No number after minus sign");
			return NULL;
		}
		while (is_digit(cur(p)))
			p->pos++;
	}
	if (cur(p) == '.') {
		p->pos++;
		if (!is_digit(cur(p))) {
			json_fail_at(p, "Unterminated fractional number");
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
			json_fail_at(p, "Exponent part is missing a number");
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
			json_fail_unexpected(p);
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
			json_fail_at(p, expect_key);
			return NULL;
		}
		struct jmember m = { 0 };
		if (!scan_string(p, &m.key, &m.keylen))
			return NULL;
		if (!check(p, ':')) {
			/*
			 * Node 20's V8 names a missing ':' only after the first key; after
			 * a later key the token at the cursor is reported instead.
			 */
			if (obj->n == 0)
				json_fail_at(p, "Expected ':' after property name");
			else
				json_fail_unexpected(p);
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
			json_fail_at(p, "Expected ',' or '}' after property value");
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
		json_fail_at(p, "Expected ',' or ']' after array element");
		return NULL;
	}
}

static struct jv *parse_value(struct parser *p)
{
	int c = peek(p);
	if (c == '{' || c == '[') {
		if (++p->depth > JSON_MAX_DEPTH) {
			p->failed = true;
			sbuf_printf(p->err, "nesting deeper than %d levels", JSON_MAX_DEPTH);
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
	json_fail_unexpected(p);
	return NULL;
}

struct jv *json_parse(const char *src, size_t len, struct arena *a, struct sbuf *err)
{
	struct parser p = { .src = src, .len = len, .arena = a, .err = err };
	struct jv *v = parse_value(&p);
	if (v && peek(&p) != -1) {
		json_fail_at_template(&p, "Unexpected non-whitespace character after JSON", " at position ");
		v = NULL;
	}
	return p.failed ? NULL : v;
}

const struct jv *json_get_n(const struct jv *obj, const char *key, size_t n)
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
	return json_get_n(obj, key, strlen(key));
}
