/*
 * The devices of a session: the model's rules for which device a line means
 * (its `device` field, else the one opened last; it must be open) and the
 * `open` op, which finds the path from --device, the line, or the name.
 */
#ifndef VDPA_PROBE_DEVICES_H
#define VDPA_PROBE_DEVICES_H

#include "answer.h"
#include "ops.h"

/* The open device the line means; a malformed line (exit 2) when there is none. */
struct probe_device *session_device(struct session *s, const struct line *l);

/* open(path, O_RDWR); a name already open answers EBUSY without a syscall, as in the model. */
void op_open(struct session *s, const struct line *l, struct answer *a);

#endif
