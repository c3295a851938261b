/** Remembers when each report was last made, so the same one goes out at most once per interval. */
export class ReportThrottle {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = 1000) {}

  /** True (and noted) when `key` was not reported within the interval. */
  take(key: string, nowMs: number): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && nowMs - previous < this.intervalMs) return false;
    this.last.set(key, nowMs);
    return true;
  }
}
