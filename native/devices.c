/* The devices of a session (devices.h): which one a line means, and `open`. */
#define _GNU_SOURCE
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

#define DEFAULT_DEVICE "vdpa0"

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
struct probe_device *session_device(struct session *s, const struct line *l)
{
	const json_t *v = field_get(l, "device");
	struct sbuf *name = scratch(SCRATCH_DEVICE);
	if (v)
		sbuf_puts(name, field_str(l, "device"));
	else if (s->current)
		sbuf_puts(name, s->current);
	else
		line_fail(l, "device", "no device is open (add an open line first)");
	struct probe_device *d = find(s, sbuf_str(name));
	if (!d || !d->open)
		line_fail(l, "device", "device %s is not open", sbuf_str(name));
	return d;
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

void op_open(struct session *s, const struct line *l, struct answer *a)
{
	struct sbuf *name = scratch(SCRATCH_DEVICE), *path = scratch(SCRATCH_PATH);
	const json_t *v = field_get(l, "device");
	if (v)
		sbuf_puts(name, field_str(l, "device"));
	else
		sbuf_puts(name, DEFAULT_DEVICE);
	struct probe_device *d = find(s, sbuf_str(name));
	if (d && d->open) {
		/* Like the model: a name is open once; no syscall. */
		a->err = EBUSY;
		answer_extra_string(a, "device", d->name);
		answer_extra_string(a, "path", d->path);
		return;
	}
	const struct device_path *given = NULL;
	for (size_t i = 0; i < s->npaths; i++)
		if (strcmp(s->paths[i].name, sbuf_str(name)) == 0)
			given = &s->paths[i];
	const json_t *p = field_get(l, "path");
	if (given) {
		sbuf_puts(path, given->path);
	} else if (p) {
		if (!json_is_string(p) || json_string_length(p) == 0 || strlen(json_string_value(p)) != json_string_length(p)) {
			struct sbuf *g = scratch(SCRATCH_GOT);
			js_stringify(p, g);
			line_fail(l, "path", "must be a non-empty string such as \"/dev/vhost-vdpa-0\", got %s", sbuf_str(g));
		}
		sbuf_puts(path, json_string_value(p));
	} else if (!default_path(sbuf_str(name), path)) {
		line_fail(l, "device", "no path for device %s (name it vdpaN for /dev/vhost-vdpa-N, add a path field, or pass --device %s=PATH)",
			  sbuf_str(name), sbuf_str(name));
	}
	int fd = TIMED(a, open(sbuf_str(path), O_RDWR | O_CLOEXEC));
	answer_extra_string(a, "device", sbuf_str(name));
	answer_extra_string(a, "path", sbuf_str(path));
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

