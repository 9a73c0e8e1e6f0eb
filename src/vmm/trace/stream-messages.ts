/**
 * One fd's stream as the stream check compares it: every message QEMU sent
 * on it (IOTLB UPDATE/INVALIDATE/BATCH, SET_STATUS, reset, SUSPEND,
 * SET_GROUP_ASID, SET_FEATURES) with the fields that make it that message,
 * and whether it went inside a listener batch (the listener's RAM maps) or
 * alone (the shadow vrings' and CVQ buffers' maps: vhost_vdpa_dma_map
 * called directly).
 */
import { hex } from '../../iotlb/index.js';
import type { DeviceStream } from './rebuild-streams.js';
import { splitTraceLine } from './trace-line.js';

export type MessageKind = 'map' | 'unmap' | 'batch-begin' | 'batch-end' | 'status' | 'reset' | 'suspend' | 'group-asid' | 'features';

export interface StreamMessage {
  kind: MessageKind;
  lineNo: number;
  /** IOTLB messages. */
  msgType?: number;
  asid?: number;
  iova?: bigint;
  size?: bigint;
  uaddr?: bigint;
  perm?: number;
  /** Inside a listener batch (BATCH_BEGIN .. BATCH_END). */
  batched?: boolean;
  /** SET_STATUS: the value written. */
  status?: number;
  group?: number;
  features?: bigint;
}

/** vhost_vdpa_set_features lines (`dev: %p features: 0x%x`, every release): not a replayed op, read here. */
export function featureLines(text: string): { lineNo: number; dev: string; features: bigint }[] {
  const out: { lineNo: number; dev: string; features: bigint }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.includes('vhost_vdpa_set_features')) return;
    const line = splitTraceLine(raw, i + 1);
    const m = line?.event === 'vhost_vdpa_set_features' ? /^dev: (0x[0-9a-f]+|\(nil\)) features: 0x([0-9a-f]+)$/.exec(line.args) : null;
    if (m) out.push({ lineNo: i + 1, dev: m[1], features: BigInt(`0x${m[2]}`) });
  });
  return out;
}

/** The fd's ops as messages, its SET_FEATURES lines (those of its vhost_devs) put in line order. */
export function streamMessages(stream: DeviceStream, features: readonly { lineNo: number; dev: string; features: bigint }[], onlyFd: boolean): StreamMessage[] {
  const out: StreamMessage[] = [];
  let batched = false;
  for (const op of stream.ops) {
    switch (op.op) {
      case 'msg': {
        const m = op.msg;
        if (op.event === 'batch_begin' || op.event === 'batch_end') {
          batched = op.event === 'batch_begin';
          out.push({ kind: op.event === 'batch_begin' ? 'batch-begin' : 'batch-end', lineNo: op.lineNo, msgType: m.msgType });
        } else if (op.event === 'dma_map') out.push({ kind: 'map', lineNo: op.lineNo, msgType: m.msgType, asid: m.asid, iova: m.iova, size: m.size, uaddr: m.uaddr, perm: m.perm, batched });
        else out.push({ kind: 'unmap', lineNo: op.lineNo, msgType: m.msgType, asid: m.asid, iova: m.iova, size: m.size, batched });
        break;
      }
      case 'status':
        out.push({ kind: 'status', lineNo: op.lineNo, status: op.status });
        break;
      case 'reset':
        out.push({ kind: 'reset', lineNo: op.lineNo });
        break;
      case 'suspend':
        out.push({ kind: 'suspend', lineNo: op.lineNo });
        break;
      case 'group_asid':
        out.push({ kind: 'group-asid', lineNo: op.lineNo, group: op.group, asid: op.asid });
        break;
      case 'cvq_probe':
        break;
    }
  }
  for (const f of features) if (onlyFd || stream.devs.includes(f.dev)) out.push({ kind: 'features', lineNo: f.lineNo, features: f.features });
  return out.sort((a, b) => a.lineNo - b.lineNo);
}

/** What makes two messages the same message: everything but the host address, the negotiated feature value and the line. */
export function messageKey(m: StreamMessage): string {
  switch (m.kind) {
    case 'map':
      return `map/${m.msgType}/${m.asid}/${m.iova}/${m.size}/${m.perm}/${m.batched}`;
    case 'unmap':
      return `unmap/${m.msgType}/${m.asid}/${m.iova}/${m.size}/${m.batched}`;
    case 'batch-begin':
    case 'batch-end':
      return `${m.kind}/${m.msgType}`;
    case 'status':
      return `status/${m.status}`;
    case 'group-asid':
      return `group-asid/${m.group}/${m.asid}`;
    default:
      return m.kind;
  }
}

const PERM = ['none', 'ro', 'wo', 'rw'];

/** The message in a few words, for the side-by-side. */
export function describeMessage(m: StreamMessage): string {
  switch (m.kind) {
    case 'map':
      return `map asid ${m.asid} ${hex(m.iova!)}+${hex(m.size!)} ${PERM[m.perm!] ?? hex(m.perm!)}${m.batched ? '' : ' (alone)'}`;
    case 'unmap':
      return `unmap asid ${m.asid} ${hex(m.iova!)}+${hex(m.size!)}${m.batched ? '' : ' (alone)'}`;
    case 'batch-begin':
      return 'batch begin';
    case 'batch-end':
      return 'batch end';
    case 'status':
      return `set_status ${hex(m.status!)}`;
    case 'reset':
      return 'reset (set_status 0)';
    case 'suspend':
      return 'suspend';
    case 'group-asid':
      return `set_group_asid group ${m.group} -> asid ${m.asid}`;
    case 'features':
      return `set_features ${hex(m.features!)}`;
  }
}
