/* json_parse_line of json.h: jansson's decoder with JavaScript's number model. */
#include "json.h"

json_t *json_parse_line(const char *src, size_t len, struct sbuf *err)
{
	json_error_t e;
	/* DECODE_ANY: a line that is JSON but not an object is refused by the caller, as the model refuses it. */
	json_t *v = json_loadb(src, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &e);
	if (!v)
		sbuf_printf(err, "%s at position %d", e.text, e.position);
	return v;
}
