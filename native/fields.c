/* The field readers of fields.h. Messages are copied from src/kernel/script-fields.ts. */
#include "fields.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sbuf scratch_slots[SCRATCH_COUNT];

struct sbuf *scratch(enum scratch_slot slot)
{
	sbuf_clear(&scratch_slots[slot]);
	return &scratch_slots[slot];
}

void scratch_release(void)
{
	for (size_t i = 0; i < SCRATCH_COUNT; i++)
		sbuf_free(&scratch_slots[i]);
}

void line_fail(const struct line *l, const char *field, const char *fmt, ...)
{
	struct sbuf msg = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *reason = malloc((size_t)n + 1);
	if (!reason)
		die_internal("out of memory");
	va_start(ap, fmt);
	vsnprintf(reason, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (field)
		sbuf_printf(&msg, "error: line %d: %s: %s\n", l->no, field, reason);
	else
		sbuf_printf(&msg, "error: line %d: %s\n", l->no, reason);
	free(reason);
	fflush(stdout);
	fputs(sbuf_str(&msg), stderr);
	sbuf_free(&msg);
	exit(EXIT_BAD_INPUT);
}

const struct jv *field_get(const struct line *l, const char *field)
{
	return json_get(l->obj, field);
}

bool field_has(const struct line *l, const char *field)
{
	return field_get(l, field) != NULL;
}

/* JSON.stringify(v) for a `got ...` tail; "undefined" when absent, as a template literal prints it. */
static const char *got(const struct jv *v)
{
	struct sbuf *out = scratch(SCRATCH_GOT);
	if (v)
		js_stringify(v, out);
	else
		sbuf_puts(out, "undefined");
	return sbuf_str(out);
}

/* A non-empty string (a device name), as the model's FieldReader.str. */
const char *field_str(const struct line *l, const char *field)
{
	const struct jv *v = field_get(l, field);
	if (!v || v->kind != J_STRING || v->len == 0)
		line_fail(l, field, "must be a non-empty string, got %s", got(v));
	return v->str;
}

/* The allowed names joined by ", ". */
static const char *join(const char *const *names, size_t n)
{
	struct sbuf *out = scratch(SCRATCH_NAMES);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sbuf_puts(out, ", ");
		sbuf_puts(out, names[i]);
	}
	return sbuf_str(out);
}

/* The model's parseU64: /^(0x[0-9a-fA-F]+|[0-9]+)$/ and at most 2^64-1. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		for (size_t i = 2; i < len; i++) {
			char c = s[i];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0 || v >> 60)
				return false;
			v = v << 4 | (uint64_t)d;
		}
		*out = v;
		return true;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static uint64_t read_u64(const struct line *l, const char *field, const uint64_t *fallback)
{
	const struct jv *v = field_get(l, field);
	if (!v) {
		if (fallback)
			return *fallback;
		line_fail(l, field, "is required");
	}
	if (v->kind != J_STRING) {
		line_fail(l, field, "must be a string such as \"0x1000\" (64-bit values stay exact), got %s", got(v));
	}
	uint64_t n;
	if (!parse_u64(v->str, v->len, &n))
		line_fail(l, field, "'%s' is not a 64-bit value (0x hex or decimal, at most 2^64-1)", v->str);
	return n;
}

uint64_t field_u64(const struct line *l, const char *field)
{
	return read_u64(l, field, NULL);
}

uint64_t field_u64_or(const struct line *l, const char *field, uint64_t fallback)
{
	return read_u64(l, field, &fallback);
}

static int64_t read_int(const struct line *l, const char *field, int64_t min, int64_t max, const int64_t *fallback)
{
	const struct jv *v = field_get(l, field);
	if (!v) {
		if (fallback)
			return *fallback;
		line_fail(l, field, "is required");
	}
	if (v->kind != J_NUMBER || !isfinite(v->number) || floor(v->number) != v->number || v->number < (double)min ||
	    v->number > (double)max) {
		line_fail(l, field, "must be an integer in [%lld, %lld], got %s", (long long)min, (long long)max, got(v));
	}
	return (int64_t)v->number;
}

int64_t field_int(const struct line *l, const char *field, int64_t min, int64_t max)
{
	return read_int(l, field, min, max, NULL);
}

int64_t field_int_or(const struct line *l, const char *field, int64_t min, int64_t max, int64_t fallback)
{
	return read_int(l, field, min, max, &fallback);
}

static int index_of(const struct jv *v, const char *const *allowed, size_t n)
{
	if (v->kind != J_STRING)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strlen(allowed[i]) == v->len && memcmp(allowed[i], v->str, v->len) == 0)
			return (int)i;
	return -1;
}

int field_one_of(const struct line *l, const char *field, const char *const *allowed, size_t n, int fallback)
{
	const struct jv *v = field_get(l, field);
	if (!v) {
		if (fallback >= 0)
			return fallback;
		line_fail(l, field, "is required (one of %s)", join(allowed, n));
	}
	int i = index_of(v, allowed, n);
	if (i < 0)
		line_fail(l, field, "must be one of %s, got %s", join(allowed, n), got(v));
	return i;
}

bool field_bool(const struct line *l, const char *field, bool fallback)
{
	const struct jv *v = field_get(l, field);
	if (!v)
		return fallback;
	if (v->kind != J_TRUE && v->kind != J_FALSE)
		line_fail(l, field, "must be true or false, got %s", got(v));
	return v->kind == J_TRUE;
}

uint64_t field_name_list(const struct line *l, const char *field, const char *const *allowed, size_t n)
{
	const struct jv *v = field_get(l, field);
	if (!v || v->kind != J_ARRAY)
		line_fail(l, field, "must be a list of names (%s)", join(allowed, n));
	uint64_t bits = 0;
	for (size_t k = 0; k < v->n; k++) {
		int i = index_of(v->items[k], allowed, n);
		if (i < 0) {
			struct sbuf *where = scratch(SCRATCH_WHERE);
			sbuf_printf(where, "%s[%zu]", field, k);
			line_fail(l, sbuf_str(where), "unknown name %s (one of %s)", got(v->items[k]), join(allowed, n));
		}
		bits |= 1ULL << i;
	}
	return bits;
}

unsigned field_perm(const struct line *l)
{
	const struct jv *v = field_get(l, "perm");
	if (v && v->kind == J_STRING) {
		if (strcmp(v->str, "ro") == 0 && v->len == 2)
			return 1;
		if (strcmp(v->str, "wo") == 0 && v->len == 2)
			return 2;
		if (strcmp(v->str, "rw") == 0 && v->len == 2)
			return 3;
	}
	if (v && v->kind == J_NUMBER && floor(v->number) == v->number && v->number >= 0 && v->number <= 255)
		return (unsigned)v->number;
	line_fail(l, "perm", "must be ro, wo, rw or an integer 0..255, got %s", got(v));
}
