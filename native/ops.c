/* The script ops of ops.h: one real syscall path per op, timed, answered. */
#define _GNU_SOURCE
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "guest-memory.h"
#include "vhost-uapi.h"

const char *const probe_feature_names[PROBE_BACKEND_FEATURE_COUNT] = {
	"IOTLB_MSG_V2", "IOTLB_BATCH", "IOTLB_ASID", "SUSPEND", "RESUME", "ENABLE_AFTER_DRIVER_OK", "DESC_ASID", "IOTLB_PERSIST",
};
const unsigned probe_feature_bits[PROBE_BACKEND_FEATURE_COUNT] = { 1, 2, 3, 4, 5, 6, 7, 8 };

const char *const probe_status_names[PROBE_STATUS_NAME_COUNT] = {
	"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "NEEDS_RESET", "FAILED",
};
const unsigned probe_status_values[PROBE_STATUS_NAME_COUNT] = { 1, 2, 4, 8, 0x40, 0x80 };

#define DEFAULT_DEVICE "vdpa0"
#define U32_MAX_INT 4294967295LL
/* sleep_ms takes at most a day: a longer pause in a script is a typo. */
#define SLEEP_MS_MAX 86400000LL

static const char *const ops[] = {
	"open", "mmap", "setrlimit", "set_owner", "get_backend_features", "set_backend_features",
	"update", "invalidate", "batch_begin", "batch_end", "iotlb", "set_status", "set_group_asid",
	"get_iova_range", "close", "dump", "check",
	/* The probe's own ops, after the model's: */
	"get_status", "sleep_ms", "note",
};
enum op {
	OP_OPEN, OP_MMAP, OP_SETRLIMIT, OP_SET_OWNER, OP_GET_BACKEND_FEATURES, OP_SET_BACKEND_FEATURES,
	OP_UPDATE, OP_INVALIDATE, OP_BATCH_BEGIN, OP_BATCH_END, OP_IOTLB, OP_SET_STATUS, OP_SET_GROUP_ASID,
	OP_GET_IOVA_RANGE, OP_CLOSE, OP_DUMP, OP_CHECK, OP_GET_STATUS, OP_SLEEP_MS, OP_NOTE, OP_COUNT,
};
_Static_assert(sizeof(ops) / sizeof(ops[0]) == OP_COUNT, "one name per op");

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die_internal("out of memory");
	return d;
}

static struct probe_device *find(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->ndevices; i++)
		if (strcmp(s->devices[i].name, name) == 0)
			return &s->devices[i];
	return NULL;
}

/* The model's device(r): the line's `device`, else the device opened last; it must be open. */
static struct probe_device *device(struct session *s, const struct line *l)
{
	const struct jv *v = field_get(l, "device");
	struct sbuf *name = scratch(SCRATCH_DEVICE);
	if (v)
		js_string_of(v, name);
	else if (s->current)
		sbuf_puts(name, s->current);
	else
		line_fail(l, "device", "no device is open (add an open line first)");
	struct probe_device *d = find(s, sbuf_str(name));
	if (!d || !d->open)
		line_fail(l, "device", "device %s is not open", sbuf_str(name));
	return d;
}

static void extra_string(struct answer *a, const char *key, const char *value)
{
	sbuf_printf(&a->extras, ",\"%s\":", key);
	sbuf_json_string(&a->extras, value, strlen(value));
}

static void extra_hex(struct answer *a, const char *key, uint64_t v)
{
	sbuf_printf(&a->extras, ",\"%s\":\"", key);
	sbuf_hex(&a->extras, v);
	sbuf_putc(&a->extras, '"');
}

/* The errno of a syscall that returned `ret` (0 when it succeeded). */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* vdpaK names /dev/vhost-vdpa-K. */
static bool default_path(const char *name, struct sbuf *path)
{
	const char *digits = name + strlen("vdpa");
	if (strncmp(name, "vdpa", 4) != 0 || *digits == '\0' || strspn(digits, "0123456789") != strlen(digits))
		return false;
	sbuf_printf(path, "/dev/vhost-vdpa-%s", digits);
	return true;
}

static void op_open(struct session *s, const struct line *l, struct answer *a)
{
	struct sbuf *name = scratch(SCRATCH_DEVICE), *path = scratch(SCRATCH_PATH);
	const struct jv *v = field_get(l, "device");
	if (v)
		js_string_of(v, name);
	else
		sbuf_puts(name, DEFAULT_DEVICE);
	struct probe_device *d = find(s, sbuf_str(name));
	if (d && d->open) {
		/* Like the model: a name is open once; no syscall. */
		a->err = EBUSY;
		extra_string(a, "device", d->name);
		extra_string(a, "path", d->path);
		return;
	}
	const struct device_path *given = NULL;
	for (size_t i = 0; i < s->npaths; i++)
		if (strcmp(s->paths[i].name, sbuf_str(name)) == 0)
			given = &s->paths[i];
	const struct jv *p = field_get(l, "path");
	if (given) {
		sbuf_puts(path, given->path);
	} else if (p) {
		if (p->kind != J_STRING || p->len == 0 || strlen(p->str) != p->len) {
			struct sbuf *g = scratch(SCRATCH_GOT);
			js_stringify(p, g);
			line_fail(l, "path", "must be a non-empty string such as \"/dev/vhost-vdpa-0\", got %s", sbuf_str(g));
		}
		sbuf_puts(path, p->str);
	} else if (!default_path(sbuf_str(name), path)) {
		line_fail(l, "device", "no path for device %s (name it vdpaN for /dev/vhost-vdpa-N, add a path field, or pass --device %s=PATH)",
			  sbuf_str(name), sbuf_str(name));
	}
	int fd = TIMED(a, open(sbuf_str(path), O_RDWR | O_CLOEXEC));
	extra_string(a, "device", sbuf_str(name));
	extra_string(a, "path", sbuf_str(path));
	if (fd < 0) {
		a->err = errno;
	} else {
		if (!d) {
			struct probe_device *grown = realloc(s->devices, (s->ndevices + 1) * sizeof(*grown));
			if (!grown)
				die_internal("out of memory");
			s->devices = grown;
			d = &s->devices[s->ndevices++];
			d->name = xstrdup(sbuf_str(name));
			d->path = NULL;
		}
		free(d->path);
		d->path = xstrdup(sbuf_str(path));
		d->fd = fd;
		d->open = true;
		free(s->current);
		s->current = xstrdup(d->name);
	}
}

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
	g.backing = (enum backing)field_one_of(l, "backing", backing_names, BACKING_COUNT, BACKING_4K);
	g.shared = field_bool(l, "shared", false);
	g.populate = field_bool(l, "populate", s->populate_default);
	a->err = guest_mmap(&g, a);
}

static void op_setrlimit(const struct line *l, struct answer *a)
{
	const struct jv *v = field_get(l, "memlock");
	struct rlimit rl;
	if (v && v->kind == J_STRING && strcmp(v->str, "unlimited") == 0)
		rl.rlim_cur = RLIM_INFINITY;
	else
		rl.rlim_cur = (rlim_t)field_u64(l, "memlock");
	rl.rlim_max = rl.rlim_cur;
	a->err = err_of(TIMED(a, setrlimit(RLIMIT_MEMLOCK, &rl)));
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

/*
 * One write() of an IOTLB message, as vhost_chr_write_iter reads it. msgType
 * 1 sends the v1 layout (no ASID); any other value is sent as v2, and the
 * kernel refuses a type it does not know: that refusal is what the script asks.
 */
static void write_iotlb(struct probe_device *d, struct answer *a, unsigned msg_type, uint32_t asid, uint64_t iova,
			uint64_t size, uint64_t uaddr, unsigned perm, unsigned type)
{
	struct probe_iotlb_msg m = { .iova = iova, .size = size, .uaddr = uaddr, .perm = (__u8)perm, .type = (__u8)type };
	struct probe_msg_v1 v1;
	struct probe_msg_v2 v2;
	const void *buf;
	size_t len;
	if (msg_type == VHOST_IOTLB_MSG) {
		memset(&v1, 0, sizeof(v1));
		v1.type = (int)msg_type;
		v1.iotlb = m;
		buf = &v1;
		len = sizeof(v1);
	} else {
		memset(&v2, 0, sizeof(v2));
		v2.type = msg_type;
		v2.asid = asid;
		v2.iotlb = m;
		buf = &v2;
		len = sizeof(v2);
	}
	ssize_t n = TIMED(a, write(d->fd, buf, len));
	if (n < 0)
		a->err = errno;
	else if ((size_t)n != len)
		die_internal("the kernel took part of an IOTLB message (a short write)");
}

/* The model's msg(): fields in its order; with_map makes uaddr and perm required. */
static void op_message(struct probe_device *d, const struct line *l, struct answer *a, unsigned type, bool with_map)
{
	unsigned msg_type = (unsigned)field_int_or(l, "msgType", 0, 255, VHOST_IOTLB_MSG_V2);
	uint32_t asid = (uint32_t)field_int_or(l, "asid", 0, U32_MAX_INT, 0);
	uint64_t iova = field_u64_or(l, "iova", 0);
	uint64_t size = field_u64_or(l, "size", 0);
	uint64_t uaddr = with_map ? field_u64(l, "uaddr") : field_u64_or(l, "uaddr", 0);
	unsigned perm = with_map ? field_perm(l) : field_has(l, "perm") ? field_perm(l) : 0;
	write_iotlb(d, a, msg_type, asid, iova, size, uaddr, perm, type);
}

static void op_set_status(struct session *s, const struct line *l, struct answer *a)
{
	const struct jv *v = field_get(l, "status");
	unsigned status = 0;
	if (v && v->kind == J_ARRAY) {
		uint64_t listed = field_name_list(l, "status", probe_status_names, PROBE_STATUS_NAME_COUNT);
		for (size_t i = 0; i < PROBE_STATUS_NAME_COUNT; i++)
			if (listed >> i & 1)
				status |= probe_status_values[i];
	} else {
		status = (unsigned)field_int(l, "status", 0, 255);
	}
	struct probe_device *d = device(s, l);
	__u8 u8 = (__u8)status;
	a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_SET_STATUS, &u8)));
}

static void op_dump(struct session *s, const struct line *l, struct answer *a)
{
	struct probe_device *d = device(s, l);
	__u8 status = 0;
	__u64 offered = 0;
	int err_status = err_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_STATUS, &status)));
	int err_features = err_of(TIMED(a, ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &offered)));
	a->err = err_status ? err_status : err_features;
	if (err_status)
		sbuf_puts(&a->extras, ",\"status\":null");
	else
		sbuf_printf(&a->extras, ",\"status\":%u", status);
	if (err_features)
		sbuf_puts(&a->extras, ",\"offered\":null");
	else
		extra_hex(a, "offered", offered);
	extra_string(a, "unsupported", "dump: the entries and the device's own view are not visible from userspace on a real kernel");
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
	const struct jv *v = field_get(l, "text");
	if (v && v->kind != J_STRING) {
		struct sbuf *g = scratch(SCRATCH_GOT);
		js_stringify(v, g);
		line_fail(l, "text", "must be a string, got %s", sbuf_str(g));
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
		d = device(s, l);
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_SET_OWNER)));
		return;
	case OP_GET_BACKEND_FEATURES: {
		d = device(s, l);
		__u64 bits = 0;
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_GET_BACKEND_FEATURES, &bits)));
		if (!a->err) {
			feature_names(a, bits);
			extra_hex(a, "bits", bits);
		}
		return;
	}
	case OP_SET_BACKEND_FEATURES: {
		uint64_t listed = field_name_list(l, "features", probe_feature_names, PROBE_BACKEND_FEATURE_COUNT);
		__u64 bits = 0;
		for (size_t i = 0; i < PROBE_BACKEND_FEATURE_COUNT; i++)
			if (listed >> i & 1)
				bits |= 1ULL << probe_feature_bits[i];
		d = device(s, l);
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_SET_BACKEND_FEATURES, &bits)));
		return;
	}
	case OP_UPDATE: op_message(device(s, l), l, a, PROBE_IOTLB_UPDATE, true); return;
	case OP_INVALIDATE: op_message(device(s, l), l, a, PROBE_IOTLB_INVALIDATE, false); return;
	case OP_BATCH_BEGIN: op_message(device(s, l), l, a, PROBE_IOTLB_BATCH_BEGIN, false); return;
	case OP_BATCH_END: op_message(device(s, l), l, a, PROBE_IOTLB_BATCH_END, false); return;
	case OP_IOTLB: {
		/* A raw message, any type number, for the error paths; uaddr present makes perm required. */
		d = device(s, l);
		unsigned type = (unsigned)field_int(l, "type", 0, 255);
		op_message(d, l, a, type, field_has(l, "uaddr"));
		return;
	}
	case OP_SET_STATUS: op_set_status(s, l, a); return;
	case OP_SET_GROUP_ASID: {
		d = device(s, l);
		struct vhost_vring_state st = {
			.index = (unsigned)field_int(l, "group", 0, U32_MAX_INT),
			.num = (unsigned)field_int(l, "asid", 0, U32_MAX_INT),
		};
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_SET_GROUP_ASID, &st)));
		return;
	}
	case OP_GET_IOVA_RANGE: {
		d = device(s, l);
		struct probe_iova_range range = { 0, 0 };
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_IOVA_RANGE, &range)));
		if (!a->err) {
			extra_hex(a, "first", range.first);
			extra_hex(a, "last", range.last);
		}
		return;
	}
	case OP_CLOSE:
		d = device(s, l);
		/* The fd is gone whatever close() answers (Linux never retries a close). */
		a->err = err_of(TIMED(a, close(d->fd)));
		d->open = false;
		d->fd = -1;
		return;
	case OP_DUMP: op_dump(s, l, a); return;
	case OP_CHECK:
		extra_string(a, "unsupported", "check: unsupported on a real kernel (it needs the device's own view)");
		return;
	case OP_GET_STATUS: {
		d = device(s, l);
		__u8 status = 0;
		a->err = err_of(TIMED(a, ioctl(d->fd, VHOST_VDPA_GET_STATUS, &status)));
		if (!a->err)
			sbuf_printf(&a->extras, ",\"status\":%u", status);
		return;
	}
	case OP_SLEEP_MS: op_sleep(l, a); return;
	case OP_NOTE: op_note(l); return;
	case OP_COUNT: break;
	}
	die_internal("an op without a handler");
}

void session_run_line(struct session *s, const struct line *l)
{
	const struct jv *op = field_get(l, "op");
	int index = -1;
	for (size_t i = 0; op && op->kind == J_STRING && i < OP_COUNT; i++)
		if (strlen(ops[i]) == op->len && strcmp(ops[i], op->str) == 0)
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
