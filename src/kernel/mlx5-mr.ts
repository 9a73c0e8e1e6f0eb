/**
 * The arithmetic of an mlx5_vdpa memory-key (MR) build, as create_user_mr
 * does it (drivers/vdpa/mlx5/core/mr.c): a FULL rebuild from the iotlb on
 * every set_map, never a diff.
 *  - IOVA-adjacent entries with the same perm merge into chains;
 *  - each hole between chains costs ceil(hole / 1 GiB) null KLMs;
 *  - chains are cut into direct MRs of at most 1 GiB (MAX_KLM_SIZE);
 *  - a direct MR holds ceil(len / (1 << ilog2(gcd(entry lengths in it)))) MTTs and costs one
 *    CREATE_MKEY; plus one indirect mkey over all the KLMs.
 * Entries arrive in IOVA order; units are 4 KiB pages.
 */

/** 1 GiB in pages: the largest direct MR (MAX_KLM_SIZE). */
export const MAX_KLM_PAGES = 2 ** 18;

export interface MrShape {
  chains: number;
  directMrs: number;
  mtts: number;
  nullKlms: number;
  /** Direct mkeys plus the indirect one. */
  mkeys: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class MrBuilder {
  private open = false;
  private chainStart = 0;
  private chainEnd = 0; // exclusive
  private chainPerm = 0;
  private piece = -1;
  private pieceLen = 0;
  private pieceGcd = 0;
  /** Exclusive end page of the current direct MR (piece). */
  private pieceEnd = 0;
  readonly shape: MrShape = { chains: 0, directMrs: 0, mtts: 0, nullKlms: 0, mkeys: 0 };

  add(startPage: number, npages: number, perm: number): void {
    // The common case on a fragmented guest: the next entry extends the
    // chain inside the current direct MR (one page entries: gcd stays 1).
    if (this.open && startPage === this.chainEnd && perm === this.chainPerm && startPage + npages <= this.pieceEnd) {
      this.chainEnd = startPage + npages;
      this.pieceLen += npages;
      if (this.pieceGcd !== 1) this.pieceGcd = gcd(this.pieceGcd, npages);
      return;
    }
    if (!(this.open && startPage === this.chainEnd && perm === this.chainPerm)) {
      if (this.open) {
        this.finishPiece();
        if (startPage > this.chainEnd) this.shape.nullKlms += Math.ceil((startPage - this.chainEnd) / MAX_KLM_PAGES);
      }
      this.open = true;
      this.shape.chains++;
      this.chainStart = startPage;
      this.chainPerm = perm;
      this.piece = -1;
    }
    this.chainEnd = startPage + npages;
    let at = startPage;
    let left = npages;
    while (left > 0) {
      const piece = Math.floor((at - this.chainStart) / MAX_KLM_PAGES);
      if (piece !== this.piece) {
        this.finishPiece();
        this.piece = piece;
      }
      const pieceEnd = this.chainStart + (piece + 1) * MAX_KLM_PAGES;
      this.pieceEnd = pieceEnd;
      const take = Math.min(left, pieceEnd - at);
      this.pieceGcd = gcd(this.pieceGcd, take);
      this.pieceLen += take;
      at += take;
      left -= take;
    }
  }

  /**
   * As `count` calls add(start + i, 1, perm), i = 0..count-1: IOVA-consecutive
   * one-page entries of one perm (a run of a 4k guest, iotlb forEachRun),
   * in steps of whole direct MRs instead of a call per page. add's common
   * case extends the chain within the piece and leaves the gcd at
   * gcd(g, 1) = 1; anything else (a new chain, a new piece) is add itself.
   */
  addOnePages(start: number, count: number, perm: number): void {
    while (count > 0) {
      if (this.open && start === this.chainEnd && perm === this.chainPerm && start + 1 <= this.pieceEnd) {
        const take = Math.min(count, this.pieceEnd - start);
        this.chainEnd = start + take;
        this.pieceLen += take;
        this.pieceGcd = 1;
        start += take;
        count -= take;
      } else {
        this.add(start, 1, perm);
        start++;
        count--;
      }
    }
  }

  private finishPiece(): void {
    if (this.pieceLen > 0) {
      this.shape.directMrs++;
      // map_direct_mr: log_entity_size = ilog2(gcd), nsg = DIV_ROUND_UP(len, 1 << log_entity_size).
      const entity = 2 ** Math.floor(Math.log2(this.pieceGcd));
      this.shape.mtts += Math.ceil(this.pieceLen / entity);
    }
    this.pieceLen = 0;
    this.pieceGcd = 0;
  }

  finish(): MrShape {
    this.finishPiece();
    this.shape.mkeys = this.shape.directMrs + 1;
    return this.shape;
  }
}
