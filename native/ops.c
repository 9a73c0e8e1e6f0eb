/* The script ops of ops.h: one real syscall path per op, timed, answered. */
#define _GNU_SOURCE
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "devices.h"
#include "guest-memory.h"
#include "iotlb-write.h"
#include "vhost-uapi.h"

const char *const probe_feature_names[PROBE_BACKEND_FEATURE_COUNT] = {
	"IOTLB_MSG_V2", "IOTLB_BATCH", "IOTLB_ASID", "SUSPEND", "RESUME", "ENABLE_AFTER_DRIVER_OK", "DESC_ASID", "IOTLB_PERSIST",
};
const unsigned probe_feature_bits[PROBE_BACKEND_FEATURE_COUNT] = { 1, 2, 3, 4, 5, 6, 7, 8 };

const char *const probe_status_names[PROBE_STATUS_NAME_COUNT] = {
	"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "NEEDS_RESET", "FAILED",
};
const unsigned probe_status_values[PROBE_STATUS_NAME_COUNT] = { 1, 2, 4, 8, 0x40, 0x80 };

#ifndef VHOST_VDPA_GET_VQS_COUNT
#define VHOST_VDPA_GET_VQS_COUNT _IOR(VHOST_VIRTIO, 0x80, __u32)
#endif

#define U32_MAX_INT 4294967295LL
/* sleep_ms takes at most a day: a longer pause in a script is a typo. */
#define SLEEP_MS_MAX 86400000LL

/* In the model's order (src/kernel/ops/op-table.ts SCRIPT_OPS; test/op-table.test.ts checks it), then the probe's own. */
static const char *const ops[] = {
	"open", "mmap", "setrlimit", "munmap", "set_owner", "get_backend_features", "set_backend_features",
	"update", "invalidate", "batch_begin", "batch_end", "iotlb", "set_status", "set_group_asid",
	"get_iova_range", "get_vqs_count", "suspend", "resume", "set_features", "get_vring_group", "close", "dump", "check", "layout",
	/* The probe's own ops, after the model's: */
	"get_status", "sleep_ms", "note",
};
enum op {
	OP_OPEN, OP_MMAP, OP_SETRLIMIT, OP_MUNMAP, OP_SET_OWNER, OP_GET_BACKEND_FEATURES, OP_SET_BACKEND_FEATURES,
	OP_UPDATE, OP_INVALIDATE, OP_BATCH_BEGIN, OP_BATCH_END, OP_IOTLB, OP_SET_STATUS, OP_SET_GROUP_ASID,
	OP_GET_IOVA_RANGE, OP_GET_VQS_COUNT, OP_SUSPEND, OP_RESUME, OP_SET_FEATURES, OP_GET_VRING_GROUP, OP_CLOSE, OP_DUMP, OP_CHECK, OP_LAYOUT,
	OP_GET_STATUS, OP_SLEEP_MS, OP_NOTE, OP_COUNT,
};
_Static_assert(sizeof(ops) / sizeof(ops[0]) == OP_COUNT, "one name per op");

static void op_mmap(struct session *s, const struct line *l, struct answer *a)
{
	struct guest_region g;
	g.uaddr = field_u64(l, "uaddr");
	g.size = field_u64(l, "size");
	if (g.uaddr & 0xfff)
		line_fail(l, "uaddr", "must be page-aligned (4 KiB), as mmap returns");
	if (g.size == 0 || g.size & 0xfff)
		line_fail(l, "size", "must be a non-zero multiple of 4 KiB");
	if (g.uaddr + (g.size - 1) < g.uaddr)
		line_fail(l, "size", "the region would end past 2^64-1");
	/* The model's 64 TiB cap per region is its own limit: a real kernel answers for itself (ENOMEM). */
	g.backing = (enum backing)field_one_of(l, "backing", backing_names, BACKING_COUNT, BACKING_4K);
	g.shared = field_bool(l, "shared", false);
	g.populate = field_bool(l, "populate", s->populate_default);
	a->err = guest_mmap(&g, a);
}

/* A line's [uaddr, uaddr + size) of whole 4 KiB pages, or the line fails. */
static void page_range(const struct line *l, uint64_t *uaddr, uint64_t *size)
{
	*uaddr = field_u64(l, "uaddr");
	*size = field_u64(l, "size");
	if (*uaddr & 0xfff)
		line_fail(l, "uaddr", "must be page-aligned (4 KiB), as mmap returns");
	if (*size == 0 || *size & 0xfff)
		line_fail(l, "size", "must be a non-zero multiple of 4 KiB");
}

/* munmap(2) of [uaddr, uaddr + size): QEMU 8.1+'s vhost_svq_stop on each shadow vring area. */
static void op_munmap(const struct line *l, struct answer *a)
{
	uint64_t uaddr, size;
	page_range(l, &uaddr, &size);
	a->err = errno_of(TIMED(a, munmap((void *)(uintptr_t)uaddr, size)));
}

static void op_setrlimit(const struct line *l, struct answer *a)
{
	const json_t *v = field_get(l, "memlock");
	struct rlimit rl;
	if (json_is_string(v) && strcmp(json_string_value(v), "unlimited") == 0)
		rl.rlim_cur = RLIM_INFINITY;
	else
		rl.rlim_cur = (rlim_t)field_u64(l, "memlock");
	rl.rlim_max = rl.rlim_cur;
	a->err = errno_of(TIMED(a, setrlimit(RLIMIT_MEMLOCK, &rl)));
}

static void feature_names(struct answer *a, uint64_t bits)
{
	sbuf_puts(&a->extras, ",\"features\":[");
	bool first = true;
	for (size_t i = 0; i < PROBE_BACKEND_FEATURE_COUNT; i++) {
		if (!(bits >> probe_feature_bits[i] & 1))
			continue;
		sbuf_printf(&a->extras, "%s\"%s\"", first ? "" : ",", probe_feature_names[i]);
		first = false;
	}
	sbuf_putc(&a->extras, ']');
}

static void op_set_status(struct session *s, const struct line *l, struct answer *a)
{
	const json_t *v = field_get(l, "status");
	unsigned status = 0;
	if (json_is_array(v)) {
		uint64_t listed = field_name_list(l, "status", probe_status_names, PROBE_STATUS_NAME_COUNT);
		for (size_t i = 0; i < PROBE_STATUS_NAME_COUNT; i++)
			if (listed >> i & 1)
				status |= probe_status_values[i];
	} else {
		status = (unsigned)field_int(l, "status", 0, 255);
	}
	struct probe_device *d = session_device(s, l);
	__u8 u8 = (__u8)status;
	a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_SET_STATUS, &u8)));
}

static void op_dump(struct session *s, const struct line *l, struct answer *a)
{
	struct probe_device *d = session_device(s, l);
	__u8 status = 0;
	__u64 offered = 0;
	int err_status = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_STATUS, &status)));
	int err_features = errno_of(TIMED(a, ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &offered)));
	a->err = err_status ? err_status : err_features;
	if (err_status)
		sbuf_puts(&a->extras, ",\"status\":null");
	else
		sbuf_printf(&a->extras, ",\"status\":%u", status);
	if (err_features)
		sbuf_puts(&a->extras, ",\"offered\":null");
	else
		answer_extra_hex(a, "offered", offered);
	answer_extra_string(a, "unsupported", "dump: the entries and the device's own view are not visible from userspace on a real kernel");
}

static void op_sleep(const struct line *l, struct answer *a)
{
	int64_t ms = field_int(l, "ms", 0, SLEEP_MS_MAX);
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
	uint64_t t0 = monotonic_ns();
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	a->ns += monotonic_ns() - t0;
}

static void op_note(const struct line *l)
{
	const json_t *v = field_get(l, "text");
	if (v && !json_is_string(v)) {
		struct sbuf *g = scratch(SCRATCH_GOT);
		js_stringify(v, g);
		line_fail(l, "text", "must be a string, got %s", sbuf_str(g));
	}
}

/*
 * How many physically contiguous runs back the present pages of
 * [uaddr, uaddr + size) now, and how many pages are present: the layout of a
 * guest whose pages came in at its pins (no prealloc), read once they are
 * there. QEMU maps no RAM in the PC's 640 KiB-1 MiB hole, so those pages stay
 * absent. Untimed; no "runs" when no page is present or PFNs are hidden.
 */
static void op_layout(const struct line *l, struct answer *a)
{
	uint64_t uaddr, size, present = 0;
	page_range(l, &uaddr, &size);
	uint64_t runs = guest_physical_runs(uaddr, size, &present);
	if (runs) {
		answer_extra_uint(a, "runs", runs);
		answer_extra_uint(a, "pages", present);
	}
}

static void run(struct session *s, enum op op, const struct line *l, struct answer *a)
{
	struct probe_device *d;
	switch (op) {
	case OP_OPEN: op_open(s, l, a); return;
	case OP_MMAP: op_mmap(s, l, a); return;
	case OP_SETRLIMIT: op_setrlimit(l, a); return;
	case OP_SET_OWNER:
		d = session_device(s, l);
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_SET_OWNER)));
		return;
	case OP_GET_BACKEND_FEATURES: {
		d = session_device(s, l);
		__u64 bits = 0;
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &bits)));
		if (!a->err) {
			feature_names(a, bits);
			answer_extra_hex(a, "bits", bits);
		}
		return;
	}
	case OP_SET_BACKEND_FEATURES: {
		uint64_t listed = field_name_list(l, "features", probe_feature_names, PROBE_BACKEND_FEATURE_COUNT);
		__u64 bits = 0;
		for (size_t i = 0; i < PROBE_BACKEND_FEATURE_COUNT; i++)
			if (listed >> i & 1)
				bits |= 1ULL << probe_feature_bits[i];
		d = session_device(s, l);
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &bits)));
		return;
	}
	case OP_UPDATE: op_iotlb_message(session_device(s, l), l, a, PROBE_IOTLB_UPDATE, true); return;
	case OP_INVALIDATE: op_iotlb_message(session_device(s, l), l, a, PROBE_IOTLB_INVALIDATE, false); return;
	case OP_BATCH_BEGIN: op_iotlb_message(session_device(s, l), l, a, PROBE_IOTLB_BATCH_BEGIN, false); return;
	case OP_BATCH_END: op_iotlb_message(session_device(s, l), l, a, PROBE_IOTLB_BATCH_END, false); return;
	case OP_IOTLB: {
		/* A raw message, any type number, for the error paths; uaddr present makes perm required. */
		d = session_device(s, l);
		unsigned type = (unsigned)field_int(l, "type", 0, 255);
		op_iotlb_message(d, l, a, type, field_has(l, "uaddr"));
		return;
	}
	case OP_SET_STATUS: op_set_status(s, l, a); return;
	case OP_SET_GROUP_ASID: {
		d = session_device(s, l);
		struct vhost_vring_state st = {
			.index = (unsigned)field_int(l, "group", 0, U32_MAX_INT),
			.num = (unsigned)field_int(l, "asid", 0, U32_MAX_INT),
		};
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_SET_GROUP_ASID, &st)));
		return;
	}
	case OP_GET_IOVA_RANGE: {
		d = session_device(s, l);
		struct probe_iova_range range = { 0, 0 };
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_IOVA_RANGE, &range)));
		if (!a->err) {
			answer_extra_hex(a, "first", range.first);
			answer_extra_hex(a, "last", range.last);
		}
		return;
	}
	case OP_GET_VQS_COUNT: {
		/* vhost_vdpa_get_vqs_count: vdpa->nvqs as a __u32, no owner check (v5.18+). */
		d = session_device(s, l);
		__u32 count = 0;
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_VQS_COUNT, &count)));
		if (!a->err)
			answer_extra_uint(a, "count", count);
		return;
	}
	case OP_SUSPEND:
	case OP_RESUME:
		/* _IO ioctls: NULL as the argument, so a kernel that does not know the number answers as the model says (EFAULT from the vring-index read). */
		d = session_device(s, l);
		a->err = errno_of(TIMED(a, ioctl(d->fd, op == OP_SUSPEND ? VHOST_VDPA_SUSPEND : VHOST_VDPA_RESUME, NULL)));
		return;
	case OP_SET_FEATURES: {
		/* Virtio device features, one __u64 (QEMU's CVQ isolation probe sends the device's own). */
		__u64 features = field_u64(l, "features");
		d = session_device(s, l);
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_SET_FEATURES, &features)));
		return;
	}
	case OP_GET_VRING_GROUP: {
		d = session_device(s, l);
		struct vhost_vring_state st = { .index = (unsigned)field_int(l, "index", 0, U32_MAX_INT), .num = 0 };
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_VRING_GROUP, &st)));
		if (!a->err)
			sbuf_printf(&a->extras, ",\"group\":%u", st.num);
		return;
	}
	case OP_CLOSE:
		d = session_device(s, l);
		/* The fd is gone whatever close() answers (Linux never retries a close). */
		a->err = errno_of(TIMED(a, close(d->fd)));
		d->open = false;
		d->fd = -1;
		return;
	case OP_DUMP: op_dump(s, l, a); return;
	case OP_CHECK:
		answer_extra_string(a, "unsupported", "check: unsupported on a real kernel (it needs the device's own view)");
		return;
	case OP_MUNMAP: op_munmap(l, a); return;
	case OP_GET_STATUS: {
		d = session_device(s, l);
		__u8 status = 0;
		a->err = errno_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_STATUS, &status)));
		if (!a->err)
			sbuf_printf(&a->extras, ",\"status\":%u", status);
		return;
	}
	case OP_SLEEP_MS: op_sleep(l, a); return;
	case OP_NOTE: op_note(l); return;
	case OP_LAYOUT: op_layout(l, a); return;
	case OP_COUNT: break;
	}
	die_internal("an op without a handler");
}

void session_run_line(struct session *s, const struct line *l)
{
	const json_t *op = field_get(l, "op");
	int index = -1;
	for (size_t i = 0; json_is_string(op) && i < OP_COUNT; i++)
		if (strlen(ops[i]) == json_string_length(op) && strcmp(ops[i], json_string_value(op)) == 0)
			index = (int)i;
	if (index < 0) {
		struct sbuf *got = scratch(SCRATCH_GOT), *names = scratch(SCRATCH_NAMES);
		if (op)
			js_stringify(op, got);
		else
			sbuf_puts(got, "undefined");
		for (size_t i = 0; i < OP_COUNT; i++)
			sbuf_printf(names, "%s%s", i ? ", " : "", ops[i]);
		line_fail(l, "op", "unknown op %s (one of %s)", sbuf_str(got), sbuf_str(names));
	}
	struct answer a = { .line = l->no, .op = ops[index] };
	run(s, (enum op)index, l, &a);
	answer_emit(&a);
}

void session_free(struct session *s)
{
	for (size_t i = 0; i < s->ndevices; i++) {
		if (s->devices[i].open)
			close(s->devices[i].fd);
		free(s->devices[i].name);
		free(s->devices[i].path);
	}
	free(s->devices);
	free(s->current);
	s->devices = NULL;
	s->current = NULL;
	s->ndevices = 0;
}
