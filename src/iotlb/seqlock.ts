/**
 * The radix IOTLB's seqlock, one writer and any number of readers in other
 * workers. CTL.SEQ is even when the tree is stable and odd while the writer
 * changes it: the writer bumps it before and after each write section; a
 * reader reads it, looks up, reads it again, and keeps the answer only if
 * both reads saw the same even value (IotlbReader.translatePage). A lookup
 * racing a write may read garbage (a freed record, an index past a view not
 * rebuilt since a buffer grew): the retry throws that answer away, and every
 * loop of the read path is bounded, so garbage cannot trap it.
 *
 * The one write outside a section: a whole page into an empty slot of an
 * existing node. The record (and a leaf's translation words) are written
 * first, then the id is published with one Atomics.store: a reader that
 * sees the id sees what it points to, and nothing else it walks changed.
 * (A plain store would be faster on x86 but is not ordered by the JS memory
 * model, so the lab keeps the atomic: about a third of such an insert.)
 *
 * Until the tree's buffers go to another thread (RadixIotlb.handle) no
 * reader can exist, and the writer bumps SEQ and publishes with plain
 * stores (Tree.exported, below).
 *
 * Both halves cost a builtin call each in Node 20 (Atomics.* are not inlined:
 * about 6-25 ns per call here, measured), which is why readers translating
 * many pages use IotlbReader.translatePages: one round per 64 lookups.
 *
 * A reader's reads of SEQ go through `seqLoader`, not Atomics.load. The
 * reason is measured, not the call's own cost: a call into a C++ builtin
 * (Atomics.load, even Atomics.isLockFree) stops the CPU from overlapping the
 * cache misses of consecutive lookups. A loop of random loads over 256 MiB
 * took 17-20 ns per load, 66-69 ns with an Atomics.load beside each, and
 * 30-33 ns with a WebAssembly i32.atomic.load instead (Node 20.20, this
 * VM). A cold lookup is such a miss, so a per-page reader making one
 * Atomics.load per lookup ran at about 0.55-0.6x the writer's own lookups;
 * the wasm load is the same sequentially consistent read of the same
 * shared memory (the JS and wasm memory models are one). So a tree whose
 * buffers go out (RadixIotlb.handle) moves its control block into a
 * one-page shared WebAssembly.Memory, handed over with the buffers
 * (IotlbHandle.seq); without one (WebAssembly threads unavailable) readers
 * fall back to Atomics.load.
 */
import { CTL } from './layout.js';
import type { IotlbHandle, SharedWasmMemory } from './layout.js';
import type { Tree } from './tree.js';

// A module-local copy (see tree.ts on why).
const CTL_SEQ = CTL.SEQ;

/**
 * (module (import "e" "m" (memory 1 1 shared))
 *   (func (export "s") (result i32) (i32.atomic.load (i32.const 0))))
 * SEQ is word 0 of the control block.
 */
const SEQ_LOAD_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // types: () -> i32
  0x02, 0x09, 0x01, 0x01, 0x65, 0x01, 0x6d, 0x02, 0x03, 0x01, 0x01, // import e.m: shared memory, 1 page, max 1
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x07, 0x05, 0x01, 0x01, 0x73, 0x00, 0x00, // export it as "s"
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x0b, // i32.const 0; i32.atomic.load align=4; end
]);

/** The little of the WebAssembly API used here (this project's TypeScript libs declare none of it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => SharedWasmMemory;
}
// Read by name: no lib here types the global, so this line is where it gets WasmApi's type.
const wasm: WasmApi | undefined = Reflect.get(globalThis, 'WebAssembly');

let seqModule: object | null | undefined;

function seqLoadModule(): object | null {
  if (seqModule === undefined) {
    try {
      seqModule = wasm && CTL_SEQ === 0 ? new wasm.Module(SEQ_LOAD_WASM) : null;
    } catch {
      seqModule = null;
    }
  }
  return seqModule;
}

/**
 * A copy of control block `ctl` in a one-page shared WebAssembly.Memory, or
 * undefined when WebAssembly threads are unavailable. The caller switches
 * to it before any other thread can see the tree.
 */
export function wasmControlBlock(ctl: Int32Array): SharedWasmMemory | undefined {
  if (!wasm || !seqLoadModule()) return undefined;
  try {
    const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    new Int32Array(memory.buffer).set(ctl);
    return memory;
  } catch {
    return undefined;
  }
}

/** A reader's atomic read of SEQ: a wasm atomic load when the control block is wasm memory, else Atomics.load. */
export function seqLoader(h: IotlbHandle): { read: () => number; wasm: boolean } {
  const mod = h.seq && seqLoadModule();
  if (mod) {
    try {
      return { read: new wasm!.Instance(mod, { e: { m: h.seq! } }).exports.s as () => number, wasm: true };
    } catch {
      // (fall back)
    }
  }
  const ctl = new Int32Array(h.ctl);
  return { read: () => Atomics.load(ctl, CTL_SEQ), wasm: false };
}

// ---- the writer's half ----
//
// Tree.exported: the buffers went to another thread (RadixIotlb.handle,
// the only way out), and from then on SEQ moves and slots are published
// with atomics. Until then no other thread can read the tree, and the
// sequence number and slots are written plainly: an Atomics call is a
// builtin call in Node 20 (15-25 ns here): building 1 M one-page entries
// from empty took 48 ns per insert instead of 56 (medians of 11
// alternating builds, #14). Handing the buffers to a worker (postMessage,
// workerData) orders the plain writes before anything the worker reads.

/** Opens a write section (SEQ becomes odd). */
export function beginWrite(t: Tree): void {
  if (t.exported) Atomics.add(t.ctl, CTL_SEQ, 1);
  else t.ctl[CTL_SEQ]++;
}

/** Closes it (SEQ even again, and different from before: readers that overlapped retry). */
export function endWrite(t: Tree): void {
  if (t.exported) Atomics.add(t.ctl, CTL_SEQ, 1);
  else t.ctl[CTL_SEQ]++;
}
