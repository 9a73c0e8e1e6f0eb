/**
 * QEMU's VhostIOVATree in brief: with shadow virtqueues the device no longer
 * sees GPAs; every host buffer gets an IOVA allocated first-fit from the
 * device's IOVA range (vhost_iova_tree_map_alloc). The lab allocates in
 * listener order, which is what QEMU does when it enables SVQ.
 */
export class IovaTree {
  private next: number;

  constructor(
    first: number,
    private readonly last: number,
  ) {
    // IOVA 0 is never handed out (iova_tree_alloc_map starts above it).
    this.next = Math.max(first, 4096);
  }

  /** Allocates `bytes` (page-aligned) and returns its IOVA. */
  alloc(bytes: number): number {
    const iova = this.next;
    if (iova + bytes - 1 > this.last) throw new RangeError(`IOVA tree exhausted allocating 0x${bytes.toString(16)} bytes`);
    this.next = iova + Math.ceil(bytes / 4096) * 4096;
    return iova;
  }
}
