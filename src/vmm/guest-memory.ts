/**
 * Guest RAM as a PC (q35) machine lays it out, and the host memory behind it.
 *
 * QEMU's pc_q35 splits RAM at 2 GiB when the guest has at least 0xb0000000
 * bytes (else it all sits below 4 GiB), puts the rest above 4 GiB, and places
 * hot-pluggable DIMMs in the device-memory window that starts at the next
 * 1 GiB boundary above high RAM. The memory listener sees one RAM section per
 * piece. The legacy VGA window and the BIOS/option-ROM area
 * (0xa0000-0x100000) are left out: they are MMIO or ROM aliases, not guest
 * RAM the device DMAs into.
 */
import type { Backing } from '../host/index.js';

export const PAGE = 4096;
export const GiB = 2 ** 30;
const FOUR_GIB = 4 * GiB;
const Q35_LOWMEM_SPLIT = 0xb000_0000;
const Q35_LOWMEM = 0x8000_0000;
const VGA_START = 0xa_0000;
const RAM_RESUMES = 0x10_0000;
/** Where QEMU's host mappings are placed in the (simulated) process. */
const HVA_BASE = 0x7e00_0000_0000;

export interface GuestSpec {
  ramBytes: number;
  backing: Backing;
  /** 4k backing: mean physically contiguous run, in pages. */
  meanRun: number;
  seed: number;
  /** Hot-plugged DIMM sizes in bytes. */
  dimms: number[];
  /** memfd / hugetlbfs (VA-mode parents can only map shared memory). */
  shared: boolean;
  /**
   * QEMU's memory-backend prealloc=on: every page faulted in before the
   * listener maps anything. Absent or false (QEMU's default): RAM has no
   * frames until touched, so the first pin of each folio faults it in.
   * The lab takes the guest as having touched none of it by its first map:
   * true of a migration destination and of QEMU releases that map at init.
   */
  prealloc?: boolean;
  /**
   * The host blocks and RAM sections as a real QEMU's trace shows them
   * (`qemu check`: trace/traced-guest.ts), used instead of the q35 layout
   * above; `ramBytes` and `dimms` are then not read for the layout.
   */
  layout?: GivenLayout;
}

/** A guest memory map given section by section: blocks (host mappings) and the listener's sections in map order. */
export interface GivenLayout {
  blocks: { name: string; bytes: number }[];
  sections: { name: string; gpa: number; bytes: number; block: number; offset: number; readonly: boolean }[];
}

/** One host mapping (a RAMBlock): what HostMm.mmap gets. */
export interface RamBlock {
  name: string;
  hva: number;
  bytes: number;
  backing: Backing;
  seed: number;
  meanRun: number;
  shared: boolean;
}

/** One RAM MemoryRegionSection the listener maps. Bytes, exact as numbers (< 2^53). */
export interface RamSection {
  name: string;
  gpa: number;
  bytes: number;
  hva: number;
  /** A ROM or a read-only alias (memory_region_is_rom / section->readonly): mapped VHOST_ACCESS_RO. */
  readonly?: boolean;
}

export interface GuestMemory {
  blocks: RamBlock[];
  sections: RamSection[];
  /** Bytes of guest RAM the listener maps. */
  mappedBytes: number;
}

const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;

export function layoutGuest(g: GuestSpec): GuestMemory {
  const blocks: RamBlock[] = [];
  const sections: RamSection[] = [];
  let hva = HVA_BASE;
  const addBlock = (name: string, bytes: number, seed: number): RamBlock => {
    const b: RamBlock = { name, hva, bytes, backing: g.backing, seed, meanRun: g.meanRun, shared: g.shared };
    blocks.push(b);
    // A 1 GiB guard between blocks keeps their host pages from touching.
    hva = alignUp(hva + bytes, GiB) + GiB;
    return b;
  };

  if (g.layout) {
    const given = g.layout.blocks.map((b, i) => addBlock(b.name, b.bytes, g.seed + i));
    for (const s of g.layout.sections) sections.push({ name: s.name, gpa: s.gpa, bytes: s.bytes, hva: given[s.block].hva + s.offset, readonly: s.readonly });
    return { blocks, sections, mappedBytes: sections.reduce((n, x) => n + x.bytes, 0) };
  }

  const ram = addBlock('pc.ram', g.ramBytes, g.seed);
  const lowmem = g.ramBytes >= Q35_LOWMEM_SPLIT ? Q35_LOWMEM : g.ramBytes;
  const high = g.ramBytes - lowmem;
  sections.push({ name: 'ram-below-4g[0]', gpa: 0, bytes: Math.min(lowmem, VGA_START), hva: ram.hva });
  if (lowmem > RAM_RESUMES) sections.push({ name: 'ram-below-4g[1]', gpa: RAM_RESUMES, bytes: lowmem - RAM_RESUMES, hva: ram.hva + RAM_RESUMES });
  if (high > 0) sections.push({ name: 'ram-above-4g', gpa: FOUR_GIB, bytes: high, hva: ram.hva + lowmem });

  let gpa = alignUp(FOUR_GIB + high, GiB);
  g.dimms.forEach((bytes, i) => {
    const b = addBlock(`dimm${i}`, bytes, g.seed + i + 1);
    sections.push({ name: `dimm${i}`, gpa, bytes, hva: b.hva });
    gpa = alignUp(gpa + bytes, GiB);
  });
  return { blocks, sections, mappedBytes: sections.reduce((s, x) => s + x.bytes, 0) };
}
