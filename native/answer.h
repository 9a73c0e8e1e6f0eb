/*
 * One answer line per script op: `{"line":N,"op":"NAME","ret":0,"errno":null,
 * "cause":null,"ns":T,"pinnedVm":P, ...extras}`, flushed at once so a reader
 * on a pipe sees each answer as its op finishes.
 */
#ifndef VDPA_PROBE_ANSWER_H
#define VDPA_PROBE_ANSWER_H

#include <errno.h>
#include <stdint.h>

#include "sbuf.h"

struct answer {
	int line;
	const char *op;
	int err;           /* 0, or the errno of the failed syscall (ret -1) */
	uint64_t ns;       /* CLOCK_MONOTONIC ns in this op's syscalls only */
	struct sbuf extras; /* `,"key":value` pairs appended after pinnedVm */
};

uint64_t monotonic_ns(void);

/* Runs `call` and adds its CLOCK_MONOTONIC duration to a->ns. */
#define TIMED(a, call)                                  \
	({                                              \
		uint64_t t0_ = monotonic_ns();          \
		__typeof__(call) r_ = (call);           \
		(a)->ns += monotonic_ns() - t0_;        \
		r_;                                     \
	})

/* The errno's name ("EFAULT"), or "E<n>" for one outside the table. */
const char *errno_name(int err, char buf[16]);

/*
 * Opens /proc/self/status once; the probe reads VmPin from it after every op.
 * Exits 1 when /proc is not mounted: pinnedVm is part of every answer.
 */
void pinned_open(void);
void pinned_close(void);
/* VmPin in 4 KiB pages, or -1 when the kernel does not report it. */
long pinned_pages(void);

/* Appends `,"key":"value"` (value JSON-escaped) or `,"key":"0x.."` to the extras. */
void answer_extra_string(struct answer *a, const char *key, const char *value);
void answer_extra_hex(struct answer *a, const char *key, uint64_t v);
/* Appends `,"key":N`. */
void answer_extra_uint(struct answer *a, const char *key, uint64_t v);

/* The errno of a syscall that returned `ret` (0 when it succeeded). */
static inline int errno_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* Prints the answer line, flushes stdout, and clears a->extras. */
void answer_emit(struct answer *a);

#endif
