/** Latency samples of one measured run, in microseconds. */
export class LatencyRecorder {
  private samples = new Float64Array(1024);
  private count = 0;

  record(micros: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = micros;
  }

  get size(): number {
    return this.count;
  }

  /** p50, p99 and p99.9 in microseconds; undefined when nothing was recorded. */
  percentiles(): Percentiles | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      p999: percentile(sorted, 0.999),
    };
  }
}

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
}

/** Nearest-rank percentile of ascending `sorted` (q in (0, 1]). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError("percentile of no samples");
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile q is ${q}, expected a number in (0, 1]`);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Median of the numbers; the mean of the middle two for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What one run of one scenario against one system measured. */
export interface RunResult {
  messages: number;
  seconds: number;
  /** Payload bytes per message (values only, no framing). */
  messageBytes: number;
  latency?: Percentiles;
  /** What an external driver said its client is. */
  client?: string;
  /** The server's CPU time per message it handled in this run, in microseconds. */
  serverCpuUsPerMsg?: number;
}

/** Per-metric medians over runs. */
export interface Summary {
  runs: number;
  msgsPerSec: number;
  mbPerSec: number;
  latency?: Percentiles;
  /** msgs/s of each run, to show the spread. */
  rates: number[];
  serverCpuUsPerMsg?: number;
}

export function summarize(runs: readonly RunResult[]): Summary {
  if (runs.length === 0) throw new RangeError("summary of no runs");
  const rates = runs.map((r) => r.messages / r.seconds);
  const msgsPerSec = median(rates);
  const latencies = runs.flatMap((r) => (r.latency ? [r.latency] : []));
  const cpu = runs.flatMap((r) => (r.serverCpuUsPerMsg === undefined ? [] : [r.serverCpuUsPerMsg]));
  return {
    runs: runs.length,
    msgsPerSec,
    mbPerSec: (msgsPerSec * runs[0]!.messageBytes) / 1e6,
    latency:
      latencies.length === 0
        ? undefined
        : {
            p50: median(latencies.map((l) => l.p50)),
            p99: median(latencies.map((l) => l.p99)),
            p999: median(latencies.map((l) => l.p999)),
          },
    rates,
    serverCpuUsPerMsg: cpu.length === 0 ? undefined : median(cpu),
  };
}
