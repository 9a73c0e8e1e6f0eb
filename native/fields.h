/*
 * Field readers for script lines, the probe's copy of the model's FieldReader
 * (src/kernel/script-fields.ts): the same rules, the same messages. A bad
 * field prints `error: line N: FIELD: reason` on stderr and exits 2; the
 * lines before it were already answered.
 */
#ifndef VDPA_PROBE_FIELDS_H
#define VDPA_PROBE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define EXIT_BAD_INPUT 2

struct line {
	int no;
	const json_t *obj;
};

/*
 * Scratch text for messages and names. A bad field exits from deep inside an
 * op, so message text lives here (released at exit) rather than in buffers
 * the exiting frames would leak. Each slot is cleared when taken.
 */
enum scratch_slot { SCRATCH_GOT, SCRATCH_NAMES, SCRATCH_WHERE, SCRATCH_DEVICE, SCRATCH_PATH, SCRATCH_COUNT };
struct sbuf *scratch(enum scratch_slot slot);
void scratch_release(void);

/* `error: line N: WHERE: reason` and exit 2. */
void line_fail(const struct line *l, const char *field, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

bool field_has(const struct line *l, const char *field);
/* A non-empty string field; anything else fails the line as the model does. */
const char *field_str(const struct line *l, const char *field);
const json_t *field_get(const struct line *l, const char *field);

/* A 64-bit value written as a string ("0x1000" or "4096"). */
uint64_t field_u64(const struct line *l, const char *field);
uint64_t field_u64_or(const struct line *l, const char *field, uint64_t fallback);

/* A JSON number that is an integer in [min, max]. */
int64_t field_int(const struct line *l, const char *field, int64_t min, int64_t max);
int64_t field_int_or(const struct line *l, const char *field, int64_t min, int64_t max, int64_t fallback);

/* The index of the field's value in allowed[]; fallback -1 means required. */
int field_one_of(const struct line *l, const char *field, const char *const *allowed, size_t n, int fallback);

bool field_bool(const struct line *l, const char *field, bool fallback);

/* A list of names from allowed[] (at most 64): bit i set when allowed[i] is listed. */
uint64_t field_name_list(const struct line *l, const char *field, const char *const *allowed, size_t n);

/* perm: "ro" | "wo" | "rw" or an integer 0..255 (the kernel never validates it). */
unsigned field_perm(const struct line *l);

#endif
