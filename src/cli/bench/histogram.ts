/** Values below this are counted exactly; above, in buckets this many per power of two. */
const SUB_BUCKETS = 128;
const SUB_BITS = 7; // log2(SUB_BUCKETS)

/**
 * Latencies in nanoseconds, counted in log-linear buckets (under 1 % apart), so that a run of
 * any length costs a few kilobytes however many messages it sends. Min and max are exact.
 */
export class LatencyHistogram {
  private counts = new Float64Array(64 * SUB_BUCKETS);
  private total = 0;
  private sum = 0;
  private minimum = Number.POSITIVE_INFINITY;
  private maximum = 0;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maximum;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minimum;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  record(nanos: number): void {
    const value = Math.max(0, Math.round(nanos));
    this.counts[bucketOf(value)]!++;
    this.total++;
    this.sum += value;
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
  }

  /** Adds another histogram's counts to this one (the aggregate of several clients). */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    this.minimum = Math.min(this.minimum, other.minimum);
    this.maximum = Math.max(this.maximum, other.maximum);
  }

  /**
   * The smallest value at or below which `quantile` (0..1) of the values lie, as the middle of
   * its bucket; never above the exact maximum. 0 when empty.
   */
  quantile(quantile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketMiddle(i), this.maximum);
    }
    return this.maximum;
  }
}

function bucketOf(value: number): number {
  if (value < SUB_BUCKETS) return value;
  const exponent = Math.floor(Math.log2(value));
  const shift = exponent - SUB_BITS;
  const sub = Math.floor(value / 2 ** shift) - SUB_BUCKETS; // 0..SUB_BUCKETS-1
  return SUB_BUCKETS + shift * SUB_BUCKETS + Math.min(sub, SUB_BUCKETS - 1);
}

function bucketMiddle(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const shift = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (index - SUB_BUCKETS) % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}
