/*
 * What the JSON reader's two files share: the parser state and the error
 * reports, which follow V8's JsonParser (src/json/json-parser.cc) so every
 * error names the same message and the same cursor position as JSON.parse.
 */
#ifndef VDPA_PROBE_JSON_INTERNAL_H
#define VDPA_PROBE_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* Deeper nesting than this is refused rather than risk the stack. */
#define JSON_MAX_DEPTH 2000

struct parser {
	const char *src;
	size_t len;
	size_t pos; /* byte offset of the cursor */
	struct arena *arena;
	struct sbuf *err;
	bool failed;
	int depth;
};

/* "<message> in JSON at position N", N the cursor in UTF-16 code units. */
void json_fail_at(struct parser *p, const char *message);
/* V8's template for trailing garbage: "<message> at position N". */
void json_fail_at_template(struct parser *p, const char *message, const char *tail);
/* V8's ReportUnexpectedToken without a message: the words follow the token at the cursor. */
void json_fail_unexpected(struct parser *p);

#endif
