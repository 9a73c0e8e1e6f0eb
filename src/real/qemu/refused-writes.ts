/**
 * IOTLB messages the real kernel refused, read from QEMU's stderr. QEMU traces
 * each map, unmap and batch message before it writes it
 * (hw/virtio/vhost-vdpa.c vhost_vdpa_dma_map and friends: the trace line, then
 * write()), so a trace shows a message the kernel refused exactly as one it
 * took. Every such write() that fails reports `failed to write, fd=%d,
 * errno=%d (%s)` (7.2 through 11.1; vhost_chr_write_iter turns any
 * msg_handler error into EFAULT), and a refused listener map adds `vhost vdpa
 * map fail!`. A replay of that trace would hold, and pin, what the kernel
 * never did, so a recording with any of them is no basis for the model.
 */

/** The stderr lines that say a message write() failed, as QEMU printed them. */
export function refusedWrites(qemuStderr: string): string[] {
  return qemuStderr.split('\n').filter((l) => /failed to write, fd=\d+, errno=\d+|vhost vdpa map fail!/.test(l));
}
