/**
 * Log-linear histogram for wait times (HdrHistogram-like, 64 sub-buckets per
 * power of two, so percentiles are within ~1.6%). Fixed memory whatever the
 * run length, and no sorting of millions of samples at the end.
 */
const SUB = 64;
const SUB_BITS = 6;
const BUCKETS = (40 - SUB_BITS + 1) * SUB; // up to ~2^40 ns (18 minutes)

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  add(v: number): void {
    if (v < 0) v = 0;
    this.counts[index(v)]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Value at quantile q (0..1): the upper edge of the bucket holding it, capped at max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(upper(i), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.count ? this.sum / this.count : 0;
  }
}

function index(v: number): number {
  if (v < SUB) return Math.floor(v);
  if (v < 2 ** 31) {
    const x = v | 0;
    const shift = 31 - Math.clz32(x) - SUB_BITS + 1;
    return shift * SUB + (x >>> shift);
  }
  const shift = Math.floor(Math.log2(v)) - SUB_BITS + 1;
  const i = shift * SUB + Math.floor(v / 2 ** shift);
  return i < BUCKETS ? i : BUCKETS - 1;
}

function upper(i: number): number {
  if (i < SUB) return i;
  const shift = Math.floor(i / SUB);
  const mant = i % SUB;
  return (mant + 1) * 2 ** shift - 1;
}
