/*
 * The script ops against a real kernel: the probe's counterpart of the
 * model's Session (src/kernel/session.ts). Fields are read in the model's
 * order, so the first bad field of a line is the one the model names too.
 */
#ifndef VDPA_PROBE_OPS_H
#define VDPA_PROBE_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "fields.h"

struct device_path {
	const char *name;
	const char *path;
};

struct probe_device {
	char *name;
	char *path;
	int fd;
	bool open;
};

struct session {
	const struct device_path *paths; /* --device NAME=PATH */
	size_t npaths;
	bool populate_default; /* false under --no-populate */
	struct probe_device *devices;
	size_t ndevices;
	char *current; /* the device opened last: the default of every later op */
};

/* Runs one parsed script line and prints its answer; a malformed field exits 2. */
void session_run_line(struct session *s, const struct line *l);

/* Closes what is still open and frees the session. */
void session_free(struct session *s);

#endif
