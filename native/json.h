/*
 * A script line as JSON: parsed by jansson (Debian's libjansson-dev, linked
 * statically), read through the field readers (fields.h), and rendered back
 * the way the model's messages render a value (JSON.stringify, Number's
 * toString, String.prototype.trim), so the probe's field errors read
 * exactly as the model's. A line jansson refuses is `not valid JSON` with
 * jansson's reason: the model's JSON.parse words its reasons differently.
 */
#ifndef VDPA_PROBE_JSON_H
#define VDPA_PROBE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "sbuf.h"

/*
 * Parses src[0..len) (already trimmed): any JSON value, every number as a
 * double (JavaScript's), NUL allowed in strings. NULL on error, with the
 * reason appended to err. The caller json_decref()s the value.
 */
json_t *json_parse_line(const char *src, size_t len, struct sbuf *err);

/* JSON.stringify(v) (compact; JavaScript's key order: array indexes first). */
void js_stringify(const json_t *v, struct sbuf *out);
/* Number.prototype.toString() of a double. */
void js_number(double d, struct sbuf *out);

/* Bounds of src after String.prototype.trim() (JavaScript's white space and line terminators). */
void js_trim(const char *src, size_t len, size_t *start, size_t *end);

#endif
