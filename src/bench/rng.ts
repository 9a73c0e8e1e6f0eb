/** A tiny seeded PRNG (xorshift32) for reproducible benchmark inputs. */
export class XorShift32 {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform integer in [0, n), n <= 2^32. */
  below(n: number): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return Math.floor((this.x / 2 ** 32) * n);
  }
}
