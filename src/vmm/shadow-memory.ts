/**
 * QEMU's shadow memory: the shadow vrings of each shadowed VQ and the CVQ's
 * two buffers, laid out by the lab one block per device (net client) after
 * the guest's blocks: data rings (driver, device)..., the CVQ's out and
 * status buffers, the CVQ's ring (driver, device).
 * - 7.2 and 8.0: qemu_memalign + memset, populated private memory: one
 *   region for all of it.
 * - 8.1+ ("vdpa: map shadow vrings with MAP_SHARED", June 2023 pull):
 *   `vhost_svq_start` mmaps each ring area MAP_SHARED|MAP_ANONYMOUS with no
 *   memset and `vhost_svq_stop` munmaps it; `net_vhost_vdpa_init` mmaps the
 *   buffers the same way once (munmapped in `vhost_vdpa_cleanup`). Each area
 *   is a region of its own with nothing behind it (shmem: no zero page), so
 *   its first pin faults each page in.
 * Ring areas are sized from the queue: a data VQ's (256) takes 2 + 1 pages,
 * the CVQ's (64) 1 + 1.
 */
import type { HostMm } from '../host/index.js';
import { PAGE } from './guest-memory.js';
import type { VmmCounters } from './vdpa-backend.js';

/** One shadow vring's two areas: driver (desc + avail, mapped read-only) and device (used, writable). */
export interface RingAreas {
  driver: number;
  device: number;
}

/**
 * vhost_svq_driver_area_size / vhost_svq_device_area_size
 * (hw/virtio/vhost-shadow-virtqueue.c, the same from 7.2 to 10.2): 16-byte
 * descriptors plus the avail ring (flags, idx, `num` entries, used_event),
 * and the used ring (flags, idx, `num` 8-byte entries, avail_event), each
 * rounded up to the host page. `num` is the guest's queue size
 * (vhost_svq_start: virtio_queue_get_num).
 */
export function ringAreas(num: number): RingAreas {
  const up = (n: number) => Math.ceil(n / PAGE) * PAGE;
  return { driver: up(16 * num + 4 + 2 * num + 2), device: up(4 + 8 * num + 2) };
}

/** virtio-net's rx/tx queue size (VIRTIO_NET_RX/TX_QUEUE_DEFAULT_SIZE): two pages of driver area, one of device area. */
export const DATA_RING = ringAreas(256);
/** virtio-net's CVQ (`virtio_add_queue(vdev, 64, virtio_net_handle_ctrl)`): one page each, as the 11.1.3 recording maps them. */
export const CVQ_RING = ringAreas(64);
/** Shadow CVQ buffers: the command out-buffer and the status in-buffer. */
export const CVQ_BUFFER = PAGE;

const ringBytes = (r: RingAreas) => r.driver + r.device;
const RING = ringBytes(DATA_RING);

export class ShadowLayout {
  /** One device's bytes: its data VQs' rings, the CVQ buffers, the CVQ's ring. */
  readonly blockBytes: number;

  constructor(
    /** The block of device 0. */
    readonly base: number,
    readonly queuePairs: number,
    readonly devices: number,
    private readonly seed: number,
  ) {
    this.blockBytes = 2 * queuePairs * RING + 2 * CVQ_BUFFER + ringBytes(CVQ_RING);
  }

  /** Device `i`'s first data ring. */
  dataHva(i: number): number {
    return this.base + i * this.blockBytes;
  }

  /** Device `i`'s CVQ buffers, followed by its CVQ ring. */
  cvqHva(i: number): number {
    return this.dataHva(i) + 2 * this.queuePairs * RING;
  }

  /** The regions behind every device's block: one populated block (7.2, 8.0), or one fresh shared mmap per area (8.1+). */
  mmapAll(mm: HostMm, fresh: boolean, shared: boolean): void {
    const bytes = this.devices * this.blockBytes;
    if (!fresh) mm.mmap({ startPage: this.base / PAGE, pages: bytes / PAGE, backing: '4k', seed: this.seed, shared, meanRun: 1, populated: true }, 'guest.svq-buffers');
    else for (let at = this.base; at < this.base + bytes; ) at += this.mmapArea(mm, at);
  }

  /** One 8.1+ area at `hva` as a fresh shared anonymous mmap: shmem, nothing behind it. Returns its bytes. */
  mmapArea(mm: HostMm, hva: number): number {
    const off = (hva - this.base) % this.blockBytes;
    const rings = 2 * this.queuePairs * RING;
    const inRing = (o: number, r: RingAreas) => (o % ringBytes(r) === 0 ? r.driver : r.device);
    const bytes = off < rings ? inRing(off, DATA_RING) : off < rings + 2 * CVQ_BUFFER ? CVQ_BUFFER : inRing(off - rings - 2 * CVQ_BUFFER, CVQ_RING);
    mm.mmap({ startPage: hva / PAGE, pages: bytes / PAGE, backing: '4k', seed: this.seed, shared: true, meanRun: 1, populated: false }, 'guest.svq-area');
    return bytes;
  }

  /**
   * 8.1+'s vhost_svq_stop munmap of one shadow vring area, counted as the
   * VMM's own syscall, and the fresh mmap the next vhost_svq_start makes
   * (counted there: QEMU maps every ring it starts, this only what it stopped).
   * Its pins must be gone (the IOTLB unmap came first).
   */
  remapArea(mm: HostMm, area: { name: string; hva: number; bytes: number }, counters: VmmCounters): void {
    const problem = mm.munmap(area.hva / PAGE, area.bytes / PAGE);
    if (problem) throw new Error(`${area.name}: ${problem}`);
    counters.vmmMunmaps++;
    this.mmapArea(mm, area.hva);
  }
}
