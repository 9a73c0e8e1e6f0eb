/*
 * The IOTLB message ops: update, invalidate, batch_begin, batch_end and the
 * raw `iotlb`, each one write() of struct vhost_msg_v2 (or struct vhost_msg
 * when the line's msgType is 1) on the device's fd.
 */
#ifndef VDPA_PROBE_IOTLB_WRITE_H
#define VDPA_PROBE_IOTLB_WRITE_H

#include <stdbool.h>

#include "answer.h"
#include "ops.h"

/*
 * Reads the model's msg() fields in its order (msgType, asid, iova, size,
 * uaddr, perm; with_map makes uaddr and perm required) and writes one
 * message of IOTLB type `type`.
 */
void op_iotlb_message(struct probe_device *d, const struct line *l, struct answer *a, unsigned type, bool with_map);

#endif
