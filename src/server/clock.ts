const wallBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Wall-clock time in nanoseconds since the epoch, with sub-millisecond resolution. */
export function nowNanos(): bigint {
  return wallBase + process.hrtime.bigint();
}

/** Hands out non-decreasing timestamps, so records within a partition are ordered by time. */
export class MonotonicClock {
  private last = 0n;

  next(): bigint {
    const now = nowNanos();
    if (now > this.last) this.last = now;
    return this.last;
  }

  observe(timestamp: bigint): void {
    if (timestamp > this.last) this.last = timestamp;
  }
}
