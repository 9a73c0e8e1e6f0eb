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

const json_t *field_get(const struct line *l, const char *field)
{
	/* JSON.parse's object: the last of duplicate keys wins, as in jansson. */
	return json_object_get(l->obj, field);
}

bool field_has(const struct line *l, const char *field)
{
	return field_get(l, field) != NULL;
}

/* JSON.stringify(v) for a `got ...` tail; "undefined" when absent, as a template literal prints it. */
static const char *got(const json_t *v)
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
	const json_t *v = field_get(l, field);
	if (!json_is_string(v) || json_string_length(v) == 0)
		line_fail(l, field, "must be a non-empty string, got %s", got(v));
	return json_string_value(v);
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
	const json_t *v = field_get(l, field);
	if (!v) {
		if (fallback)
			return *fallback;
		line_fail(l, field, "is required");
	}
	if (!json_is_string(v)) {
		line_fail(l, field, "must be a string such as \"0x1000\" (64-bit values stay exact), got %s", got(v));
	}
	uint64_t n;
	if (!parse_u64(json_string_value(v), json_string_length(v), &n))
		line_fail(l, field, "'%s' is not a 64-bit value (0x hex or decimal, at most 2^64-1)", json_string_value(v));
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
	const json_t *v = field_get(l, field);
	if (!v) {
		if (fallback)
			return *fallback;
		line_fail(l, field, "is required");
	}
	double d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || floor(d) != d || d < (double)min || d > (double)max)
		line_fail(l, field, "must be an integer in [%lld, %lld], got %s", (long long)min, (long long)max, got(v));
	return (int64_t)d;
}

int64_t field_int(const struct line *l, const char *field, int64_t min, int64_t max)
{
	return read_int(l, field, min, max, NULL);
}

int64_t field_int_or(const struct line *l, const char *field, int64_t min, int64_t max, int64_t fallback)
{
	return read_int(l, field, min, max, &fallback);
}

static int index_of(const json_t *v, const char *const *allowed, size_t n)
{
	if (!json_is_string(v))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strlen(allowed[i]) == json_string_length(v) && memcmp(allowed[i], json_string_value(v), json_string_length(v)) == 0)
			return (int)i;
	return -1;
}

int field_one_of(const struct line *l, const char *field, const char *const *allowed, size_t n, int fallback)
{
	const json_t *v = field_get(l, field);
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
	const json_t *v = field_get(l, field);
	if (!v)
		return fallback;
	if (!json_is_boolean(v))
		line_fail(l, field, "must be true or false, got %s", got(v));
	return json_is_true(v);
}

uint64_t field_name_list(const struct line *l, const char *field, const char *const *allowed, size_t n)
{
	const json_t *v = field_get(l, field);
	if (!json_is_array(v))
		line_fail(l, field, "must be a list of names (%s)", join(allowed, n));
	uint64_t bits = 0;
	for (size_t k = 0; k < json_array_size(v); k++) {
		int i = index_of(json_array_get(v, k), allowed, n);
		if (i < 0) {
			struct sbuf *where = scratch(SCRATCH_WHERE);
			sbuf_printf(where, "%s[%zu]", field, k);
			line_fail(l, sbuf_str(where), "unknown name %s (one of %s)", got(json_array_get(v, k)), join(allowed, n));
		}
		bits |= 1ULL << i;
	}
	return bits;
}

unsigned field_perm(const struct line *l)
{
	const json_t *v = field_get(l, "perm");
	if (json_is_string(v) && json_string_length(v) == 2) {
		const char *s = json_string_value(v);
		if (strcmp(s, "ro") == 0)
			return 1;
		if (strcmp(s, "wo") == 0)
			return 2;
		if (strcmp(s, "rw") == 0)
			return 3;
	}
	double d = json_number_value(v); /* 0 for anything but a number */
	if (json_is_number(v) && floor(d) == d && d >= 0 && d <= 255)
		return (unsigned)d;
	line_fail(l, "perm", "must be ro, wo, rw or an integer 0..255, got %s", got(v));
}
