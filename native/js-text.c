/* JavaScript's renderings of a parsed value (json.h): JSON.stringify, Number#toString, trim. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

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
		if (key[i] < '0' || key[i] > '9')
			return false;
		v = v * 10 + (unsigned long long)(key[i] - '0');
	}
	*out = v;
	return v < 4294967295ULL;
}

static void stringify_member(void *it, bool *first, struct sbuf *out)
{
	if (!*first)
		sbuf_putc(out, ',');
	*first = false;
	sbuf_json_string(out, json_object_iter_key(it), json_object_iter_key_len(it));
	sbuf_putc(out, ':');
	js_stringify(json_object_iter_value(it), out);
}

void js_stringify(const json_t *v, struct sbuf *out)
{
	json_t *obj = (json_t *)v; /* jansson's iterators take a non-const object; nothing is changed */
	switch (json_typeof(v)) {
	case JSON_NULL: sbuf_puts(out, "null"); return;
	case JSON_FALSE: sbuf_puts(out, "false"); return;
	case JSON_TRUE: sbuf_puts(out, "true"); return;
	case JSON_INTEGER:
	case JSON_REAL: {
		double d = json_number_value(v);
		if (isfinite(d))
			js_number(d, out);
		else
			sbuf_puts(out, "null");
		return;
	}
	case JSON_STRING: sbuf_json_string(out, json_string_value(v), json_string_length(v)); return;
	case JSON_ARRAY:
		sbuf_putc(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sbuf_putc(out, ',');
			js_stringify(json_array_get(v, i), out);
		}
		sbuf_putc(out, ']');
		return;
	case JSON_OBJECT: {
		/*
		 * Array indexes first in ascending order, then the other keys in insertion order
		 * (jansson keeps a duplicate key at its first place with its last value, as JSON.parse does).
		 */
		sbuf_putc(out, '{');
		bool first = true, started = false;
		unsigned long long last = 0, idx;
		for (;;) {
			void *best = NULL;
			unsigned long long best_idx = 0;
			for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
				if (!array_index(json_object_iter_key(it), json_object_iter_key_len(it), &idx) || (started && idx <= last))
					continue;
				if (!best || idx < best_idx) {
					best = it;
					best_idx = idx;
				}
			}
			if (!best)
				break;
			stringify_member(best, &first, out);
			last = best_idx;
			started = true;
		}
		for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
			if (!array_index(json_object_iter_key(it), json_object_iter_key_len(it), &idx))
				stringify_member(it, &first, out);
		sbuf_putc(out, '}');
		return;
	}
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
