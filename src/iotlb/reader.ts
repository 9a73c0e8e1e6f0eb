/**
 * IotlbReader: a read-only view of a RadixIotlb owned by another thread.
 *
 * Lookups run under the writer's seqlock: read SEQ, look up, read SEQ again;
 * retry if it was odd (a write in progress) or changed. A lookup racing a
 * write may read garbage (a freed record, an index past a view that has not
 * been rebuilt since the buffer grew); the retry throws that answer away, and
 * every loop in the read path is bounded so garbage cannot trap it.
 */
import { checkU64, join, split } from './address.js';
import * as layout from './layout.js';
import { RadixView, type IotlbHandle } from './radix-view.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const { CTL } = layout;
const { SEQ: CTL_SEQ, GROW_EPOCH: CTL_GROW_EPOCH } = CTL;

export class IotlbReader extends RadixView {
  /** How many lookups had to be retried because the writer was active. */
  retries = 0;

  static attach(handle: IotlbHandle): IotlbReader {
    return new IotlbReader(handle);
  }

  /**
   * Translates (page, off). Returns the entry id (0 for a miss); on a hit
   * outPage/outOff/outPerm hold the target. Always a consistent answer.
   */
  translatePage(page: number, off: number): number {
    for (;;) {
      const seq = Atomics.load(this.ctl, CTL_SEQ);
      if (seq & 1) {
        this.retries++;
        continue;
      }
      if (this.ctl[CTL_GROW_EPOCH] !== this.epoch) this.refreshViews();
      const id = this.lookup(page, off);
      if (Atomics.load(this.ctl, CTL_SEQ) === seq) return id;
      this.retries++;
    }
  }

  translate(iova: bigint): { addr: bigint; perm: number } | undefined {
    checkU64(iova, 'iova');
    const p = split(iova);
    if (!this.translatePage(p.page, p.off)) return undefined;
    return { addr: join(this.outPage, this.outOff), perm: this.outPerm };
  }
}
