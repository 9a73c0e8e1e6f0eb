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
 */
import type { HostMm } from '../host/index.js';
import { PAGE } from './guest-memory.js';
import type { VmmCounters } from './vdpa-backend.js';

/** Shadow vring areas per VQ: driver area (desc + avail) and device area (used). */
export const SVQ_DRIVER_AREA = 2 * PAGE;
export const SVQ_DEVICE_AREA = PAGE;
/** Shadow CVQ buffers: the command out-buffer and the status in-buffer. */
export const CVQ_BUFFER = PAGE;

const RING = SVQ_DRIVER_AREA + SVQ_DEVICE_AREA;

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
    this.blockBytes = 2 * queuePairs * RING + 2 * CVQ_BUFFER + RING;
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
    const inRing = (o: number) => (o % RING === 0 ? SVQ_DRIVER_AREA : SVQ_DEVICE_AREA);
    const bytes = off < rings ? inRing(off) : off < rings + 2 * CVQ_BUFFER ? CVQ_BUFFER : inRing(off - rings - 2 * CVQ_BUFFER);
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
