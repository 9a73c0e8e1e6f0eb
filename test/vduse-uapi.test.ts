/**
 * The VDUSE companion (native/vduse/vduse-dev.c) speaks the build host's
 * <linux/vduse.h>. The guest kernels are newer (6.12, 7.2): what makes that
 * safe is that API version 0 never changed, which this test checks on the
 * header the companion is built with: the ioctl numbers and the request
 * types it uses, and the layout of the structs it fills (a later header only
 * turned reserved words into API v1 fields: ngroups/nas, a vq's group).
 * Values from include/uapi/linux/vduse.h as of v5.15 (where VDUSE came in),
 * identical in Debian's 6.12.117 and 7.2.13 trees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { underCi } from './support/real-kernel.js';

const HEADER = '/usr/include/linux/vduse.h';
const COMPANION = fileURLToPath(new URL('../../native/vduse/vduse-dev.c', import.meta.url));

/** API version 0's ioctls: name -> [nr, direction, argument type]. */
const IOCTLS: Record<string, [number, string, string]> = {
  VDUSE_SET_API_VERSION: [0x01, '_IOW', '__u64'],
  VDUSE_CREATE_DEV: [0x02, '_IOW', 'struct vduse_dev_config'],
  VDUSE_DESTROY_DEV: [0x03, '_IOW', 'char[VDUSE_NAME_MAX]'],
  VDUSE_VQ_SETUP: [0x14, '_IOW', 'struct vduse_vq_config'],
  VDUSE_VQ_GET_INFO: [0x15, '_IOWR', 'struct vduse_vq_info'],
};

/** The words of a struct's body, without comments. */
function structBody(text: string, name: string): string {
  const m = text.match(new RegExp(`struct ${name} \\{([\\s\\S]*?)\\n\\};`));
  assert.ok(m, `${HEADER} defines struct ${name}`);
  return m[1].replace(/\/\*[\s\S]*?\*\//g, '').replace(/#define[^\n]*/g, '').replace(/\s+/g, ' ').trim();
}

const missing = !existsSync(HEADER) ? `${HEADER} is not installed (apt-get install linux-libc-dev)` : undefined;

test("the build host's <linux/vduse.h> has API version 0 as the companion uses it", { skip: missing && !underCi() ? missing : false }, () => {
  assert.ok(!missing, missing);
  const h = readFileSync(HEADER, 'utf8');
  const c = readFileSync(COMPANION, 'utf8');
  assert.match(h, /#define VDUSE_BASE\s+0x81\b/);
  for (const [name, [nr, dir, arg]] of Object.entries(IOCTLS)) {
    assert.ok(c.includes(name), `the companion uses ${name}`);
    const esc = arg.replace(/[[\]]/g, '\\$&');
    assert.match(h, new RegExp(`#define ${name}\\s+${dir}\\(VDUSE_BASE, 0x${nr.toString(16).padStart(2, '0')}, ${esc}\\)`), name);
  }
  // enum vduse_req_type: the order is the wire value.
  const req = h.match(/enum vduse_req_type \{([^}]*)\}/);
  assert.ok(req);
  assert.deepEqual(req[1].split(',').map((s) => s.trim()).filter(Boolean).slice(0, 3), ['VDUSE_GET_VQ_STATE', 'VDUSE_SET_STATUS', 'VDUSE_UPDATE_IOTLB']);
  assert.match(h, /#define VDUSE_REQ_RESULT_OK\s+0x00/);
  assert.match(h, /#define VDUSE_REQ_RESULT_FAILED\s+0x01/);
  // vduse_dev_config: 52 bytes between vq_align and config_size, reserved in v0 (API v1 names two of them).
  const cfg = structBody(h, 'vduse_dev_config');
  assert.match(cfg, /^char name\[VDUSE_NAME_MAX\]; __u32 vendor_id; __u32 device_id; __u64 features; __u32 vq_num; __u32 vq_align; (__u32 reserved\[13\];|__u32 ngroups; __u32 nas; __u32 reserved\[11\];) __u32 config_size; __u8 config\[\];$/);
  assert.match(h, /#define VDUSE_NAME_MAX\s+256/);
  const vq = structBody(h, 'vduse_vq_config');
  assert.match(vq, /^__u32 index; __u16 max_size; (__u16 reserved\[13\];|__u16 reserved1; __u32 group; __u16 reserved2\[10\];)$/);
  // Requests and responses: type and id, 4 reserved words, a 128-byte union.
  assert.match(structBody(h, 'vduse_dev_request'), /^__u32 type; __u32 request_id; __u32 reserved\[4\]; union \{ .*__u32 padding\[32\]; \};$/);
  assert.match(structBody(h, 'vduse_dev_response'), /^__u32 request_id; __u32 result; __u32 reserved\[4\]; union \{ .*__u32 padding\[32\]; \};$/);
});
