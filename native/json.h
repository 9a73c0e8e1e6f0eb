/*
 * A JSON reader for one script line, and the two JavaScript renderings the
 * model's messages use (JSON.stringify and String()). Parse errors use the
 * words and positions of V8's JSON.parse (Node 20), so `line N: not valid
 * JSON (...)` reads the same from the probe as from the model's `exec`.
 */
#ifndef VDPA_PROBE_JSON_H
#define VDPA_PROBE_JSON_H

#include <stddef.h>

#include "sbuf.h"

enum jkind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct jv;

struct jmember {
	const char *key;
	size_t keylen;
	struct jv *value;
};

struct jv {
	enum jkind kind;
	double number;           /* J_NUMBER */
	const char *str;         /* J_STRING: decoded UTF-8, NUL-terminated */
	size_t len;              /* J_STRING: bytes */
	size_t n;                /* J_ARRAY items, J_OBJECT members */
	struct jv **items;
	struct jmember *members; /* in source order, duplicates kept */
};

/*
 * Parses src[0..len) (already trimmed). On error returns NULL and appends the
 * reason to err, e.g. "Expected ',' or '}' after property value in JSON at
 * position 12". Everything lives in the arena.
 */
struct jv *json_parse(const char *src, size_t len, struct arena *a, struct sbuf *err);

/* obj[key] for a key of n bytes (it may hold a NUL). */
const struct jv *json_get_n(const struct jv *obj, const char *key, size_t n);
/* obj[key] as JSON.parse leaves it: the last of duplicate keys wins. NULL when absent. */
const struct jv *json_get(const struct jv *obj, const char *key);

/* JSON.stringify(v) (compact; JavaScript's key order: array indexes first). */
void js_stringify(const struct jv *v, struct sbuf *out);
/* Number.prototype.toString() of a double. */
void js_number(double d, struct sbuf *out);

/* Bounds of src after String.prototype.trim() (JavaScript's white space and line terminators). */
void js_trim(const char *src, size_t len, size_t *start, size_t *end);

#endif
