/**
 * The grammar of each vhost-vdpa trace event the replay reads: one regular
 * expression per format variant (hw/virtio/trace-events; the variants and
 * their releases are in qemu-formats.ts). `%p` prints `0x...` or `(nil)`,
 * `0x%"PRIx64` lower-case hex, `%u`/`%d` decimal.
 */

/** A parsed event. Pointers stay strings: they are identities, never numbers. */
export type TraceEvent =
  | { kind: 'dma_map'; lineNo: number; vdpa: string; fd: number; msgType: number; asid: number | null; iova: bigint; size: bigint; uaddr: bigint; perm: number; type: number }
  | { kind: 'dma_unmap'; lineNo: number; vdpa: string; fd: number; msgType: number; asid: number | null; iova: bigint; size: bigint; type: number }
  | { kind: 'batch_begin' | 'batch_end'; lineNo: number; vdpa: string; fd: number; msgType: number; type: number }
  | { kind: 'region_add'; lineNo: number; vdpa: string; iova: bigint; llend: bigint; vaddr: string; readonly: boolean }
  | { kind: 'region_del'; lineNo: number; vdpa: string; iova: bigint; llend: bigint }
  | { kind: 'add_status'; lineNo: number; dev: string; status: number }
  | { kind: 'reset_device'; lineNo: number; dev: string; status: number | null }
  | { kind: 'init'; lineNo: number; dev: string; shared: string | null; vdpa: string }
  | { kind: 'cleanup'; lineNo: number; dev: string; vdpa: string }
  | { kind: 'dev_start'; lineNo: number; dev: string; started: boolean }
  | { kind: 'suspend'; lineNo: number; dev: string }
  /** net/vhost-vdpa.c vhost_vdpa_set_address_space_id: VHOST_VDPA_SET_GROUP_ASID, traced with the device's vhost_vdpa pointer. */
  | { kind: 'set_group_asid'; lineNo: number; vdpa: string; group: number; asid: number }
  | { kind: 'set_owner'; lineNo: number; dev: string }
  | { kind: 'get_iova_range'; lineNo: number; dev: string; first: bigint; last: bigint };

export type EventKind = TraceEvent['kind'];

const P = '(0x[0-9a-f]+|\\(nil\\))';
const HEX = '0x([0-9a-f]+)';
const DEC = '(-?\\d+)';

interface Variant {
  /** Key into VARIANT_RELEASES, or null when every release prints it the same way. */
  format: string | null;
  re: RegExp;
  build(m: RegExpExecArray, lineNo: number): TraceEvent;
}

const big = (h: string) => BigInt(`0x${h}`);
const num = (h: string) => Number.parseInt(h, 16);

function dmaMap(format: string, prefix: string, asid: boolean): Variant {
  return {
    format,
    re: new RegExp(`^${prefix}:${P} fd: ${DEC} msg_type: (\\d+)${asid ? ' asid: (\\d+)' : '()'} iova: ${HEX} size: ${HEX} uaddr: ${HEX} perm: ${HEX} type: (\\d+)$`),
    build: (m, lineNo) => ({
      kind: 'dma_map', lineNo, vdpa: m[1], fd: Number(m[2]), msgType: Number(m[3]), asid: m[4] === '' ? null : Number(m[4]),
      iova: big(m[5]), size: big(m[6]), uaddr: big(m[7]), perm: num(m[8]), type: Number(m[9]),
    }),
  };
}

function dmaUnmap(format: string, prefix: string, asid: boolean): Variant {
  return {
    format,
    re: new RegExp(`^${prefix}:${P} fd: ${DEC} msg_type: (\\d+)${asid ? ' asid: (\\d+)' : '()'} iova: ${HEX} size: ${HEX} type: (\\d+)$`),
    build: (m, lineNo) => ({
      kind: 'dma_unmap', lineNo, vdpa: m[1], fd: Number(m[2]), msgType: Number(m[3]), asid: m[4] === '' ? null : Number(m[4]),
      iova: big(m[5]), size: big(m[6]), type: Number(m[7]),
    }),
  };
}

function batch(kind: 'batch_begin' | 'batch_end', format: string, prefix: string): Variant {
  return {
    format,
    re: new RegExp(`^${prefix}:${P} fd: ${DEC} msg_type: (\\d+) type: (\\d+)$`),
    build: (m, lineNo) => ({ kind, lineNo, vdpa: m[1], fd: Number(m[2]), msgType: Number(m[3]), type: Number(m[4]) }),
  };
}

/** Event name -> its variants, tried in order. */
export const GRAMMAR: Record<string, Variant[]> = {
  vhost_vdpa_dma_map: [dmaMap('dma:vdpa', 'vdpa', false), dmaMap('dma:vdpa+asid', 'vdpa', true), dmaMap('dma:vdpa_shared+asid', 'vdpa_shared', true)],
  vhost_vdpa_dma_unmap: [dmaUnmap('dma:vdpa', 'vdpa', false), dmaUnmap('dma:vdpa+asid', 'vdpa', true), dmaUnmap('dma:vdpa_shared+asid', 'vdpa_shared', true)],
  vhost_vdpa_listener_begin_batch: [batch('batch_begin', 'batch:vdpa', 'vdpa'), batch('batch_begin', 'batch:vdpa_shared', 'vdpa_shared')],
  vhost_vdpa_listener_commit: [batch('batch_end', 'batch:vdpa', 'vdpa'), batch('batch_end', 'batch:vdpa_shared', 'vdpa_shared')],
  vhost_vdpa_listener_region_add: [
    {
      format: null,
      re: new RegExp(`^vdpa: ${P} iova ${HEX} llend ${HEX} vaddr: ${P} read-only: (\\d+)$`),
      build: (m, lineNo) => ({ kind: 'region_add', lineNo, vdpa: m[1], iova: big(m[2]), llend: big(m[3]), vaddr: m[4], readonly: m[5] !== '0' }),
    },
  ],
  vhost_vdpa_listener_region_del: [
    {
      format: null,
      re: new RegExp(`^vdpa: ${P} iova ${HEX} llend ${HEX}$`),
      build: (m, lineNo) => ({ kind: 'region_del', lineNo, vdpa: m[1], iova: big(m[2]), llend: big(m[3]) }),
    },
  ],
  vhost_vdpa_add_status: [
    { format: null, re: new RegExp(`^dev: ${P} status: ${HEX}$`), build: (m, lineNo) => ({ kind: 'add_status', lineNo, dev: m[1], status: num(m[2]) }) },
  ],
  vhost_vdpa_reset_device: [
    { format: 'reset:status', re: new RegExp(`^dev: ${P} status: ${HEX}$`), build: (m, lineNo) => ({ kind: 'reset_device', lineNo, dev: m[1], status: num(m[2]) }) },
    { format: 'reset:plain', re: new RegExp(`^dev: ${P}$`), build: (m, lineNo) => ({ kind: 'reset_device', lineNo, dev: m[1], status: null }) },
  ],
  vhost_vdpa_init: [
    { format: 'init:vdpa', re: new RegExp(`^dev: ${P} vdpa: ${P}$`), build: (m, lineNo) => ({ kind: 'init', lineNo, dev: m[1], shared: null, vdpa: m[2] }) },
    { format: 'init:shared', re: new RegExp(`^dev: ${P}, common dev: ${P} vdpa: ${P}$`), build: (m, lineNo) => ({ kind: 'init', lineNo, dev: m[1], shared: m[2], vdpa: m[3] }) },
  ],
  vhost_vdpa_cleanup: [
    { format: null, re: new RegExp(`^dev: ${P} vdpa: ${P}$`), build: (m, lineNo) => ({ kind: 'cleanup', lineNo, dev: m[1], vdpa: m[2] }) },
  ],
  vhost_vdpa_dev_start: [
    { format: null, re: new RegExp(`^dev: ${P} started: (\\d+)$`), build: (m, lineNo) => ({ kind: 'dev_start', lineNo, dev: m[1], started: m[2] !== '0' }) },
  ],
  vhost_vdpa_set_address_space_id: [
    {
      format: 'group_asid',
      re: new RegExp(`^vhost_vdpa: ${P} vq_group: (\\d+) asid: (\\d+)$`),
      build: (m, lineNo) => ({ kind: 'set_group_asid', lineNo, vdpa: m[1], group: Number(m[2]), asid: Number(m[3]) }),
    },
  ],
  vhost_vdpa_suspend: [{ format: null, re: new RegExp(`^dev: ${P}$`), build: (m, lineNo) => ({ kind: 'suspend', lineNo, dev: m[1] }) }],
  vhost_vdpa_set_owner: [{ format: null, re: new RegExp(`^dev: ${P}$`), build: (m, lineNo) => ({ kind: 'set_owner', lineNo, dev: m[1] }) }],
  vhost_vdpa_get_iova_range: [
    {
      format: null,
      re: new RegExp(`^dev: ${P} first: ${HEX} last: ${HEX}$`),
      build: (m, lineNo) => ({ kind: 'get_iova_range', lineNo, dev: m[1], first: big(m[2]), last: big(m[3]) }),
    },
  ],
};

/** The events the replay reads, as README lists them. */
export const USED_EVENTS = Object.keys(GRAMMAR);

/** The printf format of each used event at the newest release (for messages and emitted traces). */
export const EXPECTED_SHAPE: Record<string, string> = {
  vhost_vdpa_dma_map: 'vdpa[_shared]:%p fd: %d msg_type: %u [asid: %u ]iova: 0x%x size: 0x%x uaddr: 0x%x perm: 0x%x type: %u',
  vhost_vdpa_dma_unmap: 'vdpa[_shared]:%p fd: %d msg_type: %u [asid: %u ]iova: 0x%x size: 0x%x type: %u',
  vhost_vdpa_listener_begin_batch: 'vdpa[_shared]:%p fd: %d msg_type: %u type: %u',
  vhost_vdpa_listener_commit: 'vdpa[_shared]:%p fd: %d msg_type: %u type: %u',
  vhost_vdpa_listener_region_add: 'vdpa: %p iova 0x%x llend 0x%x vaddr: %p read-only: %d',
  vhost_vdpa_listener_region_del: 'vdpa: %p iova 0x%x llend 0x%x',
  vhost_vdpa_add_status: 'dev: %p status: 0x%x',
  vhost_vdpa_reset_device: 'dev: %p[ status: 0x%x]',
  vhost_vdpa_init: 'dev: %p[, common dev: %p] vdpa: %p',
  vhost_vdpa_cleanup: 'dev: %p vdpa: %p',
  vhost_vdpa_dev_start: 'dev: %p started: %d',
  vhost_vdpa_suspend: 'dev: %p',
  vhost_vdpa_set_address_space_id: 'vhost_vdpa: %p vq_group: %u asid: %u',
  vhost_vdpa_set_owner: 'dev: %p',
  vhost_vdpa_get_iova_range: 'dev: %p first: 0x%x last: 0x%x',
};

/** Parses the arguments of a known event: the event and its format key, or null when no variant matches. */
export function parseEventArgs(event: string, args: string, lineNo: number): { ev: TraceEvent; format: string | null } | null {
  for (const v of GRAMMAR[event] ?? []) {
    const m = v.re.exec(args);
    if (m) return { ev: v.build(m, lineNo), format: v.format };
  }
  return null;
}
