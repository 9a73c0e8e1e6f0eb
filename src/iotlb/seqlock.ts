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
 * stores (pools.ts, `exported`).
 *
 * Both halves cost a builtin call each in Node 20 (Atomics.* are not inlined:
 * about 15-25 ns per call here, measured), which is why readers translating
 * many pages use IotlbReader.translatePages: one round per 64 lookups.
 */
import { CTL } from './layout.js';

// A module-local copy (see radix-view.ts on why).
const CTL_SEQ = CTL.SEQ;

/** Opens a write section (SEQ becomes odd). */
export function beginWrite(ctl: Int32Array): void {
  Atomics.add(ctl, CTL_SEQ, 1);
}

/** Closes it (SEQ even again, and different from before: readers that overlapped retry). */
export function endWrite(ctl: Int32Array): void {
  Atomics.add(ctl, CTL_SEQ, 1);
}
