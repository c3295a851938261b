import { performance } from "node:perf_hooks";
import type { LiftbridgeClient, Subscription } from "../../client/index.js";

/** What one subscriber client received; times are performance.now() milliseconds. */
export class SubscriberStats {
  received = 0;
  bytes = 0;
  startedAt = 0;
  finishedAt = 0;

  constructor(readonly id: number) {}
}

/**
 * One subscriber client reading every partition of the stream from the offsets the run starts
 * at, while the publishers send. It stops once finish() has said where the run ended and every
 * partition has been read to there.
 */
export class SubscriberClient {
  private readonly subscriptions: Subscription[] = [];
  private readonly readers: Promise<void>[] = [];
  /** Last offset read per partition. */
  private readonly lastOffsets: number[];
  private endOffsets: readonly number[] | undefined;
  private lastProgressAt = 0;

  constructor(
    private readonly client: LiftbridgeClient,
    readonly stats: SubscriberStats,
    private readonly stream: string,
    private readonly startOffsets: readonly number[],
  ) {
    this.lastOffsets = startOffsets.map((offset) => offset - 1);
  }

  /** Subscribes to every partition; resolves once each subscription is confirmed. */
  async open(): Promise<void> {
    for (const [partition, offset] of this.startOffsets.entries()) {
      const subscription = await this.client.subscribe(this.stream, {
        partition,
        start: { kind: "offset", offset },
        resubscribeWaitMs: 0,
      });
      this.subscriptions.push(subscription);
    }
  }

  /** Starts reading (the clock of the run starts at `startedAt`); a failure is told at once. */
  start(startedAt: number, onFailure: (message: string) => void): void {
    this.stats.startedAt = startedAt;
    this.stats.finishedAt = startedAt;
    this.lastProgressAt = performance.now();
    for (const [partition, subscription] of this.subscriptions.entries()) {
      const reader = this.read(partition, subscription);
      reader.catch((err: unknown) =>
        onFailure(
          `subscriber ${this.stats.id}: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      this.readers.push(reader);
    }
  }

  /**
   * The run stored up to `endOffsets` (per partition, inclusive): resolves when everything up
   * to there was read, rejects when no message came for `idleMs` before that.
   */
  async finish(endOffsets: readonly number[], idleMs: number): Promise<void> {
    this.endOffsets = endOffsets;
    for (const [partition, subscription] of this.subscriptions.entries()) {
      if (this.reachedEnd(partition)) subscription.cancel();
    }
    this.lastProgressAt = performance.now();
    let watchdog: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      watchdog = setInterval(
        () => {
          if (performance.now() - this.lastProgressAt < idleMs) return;
          this.cancel();
          const expected = endOffsets.reduce(
            (sum, end, p) => sum + Math.max(0, end - this.startOffsets[p]! + 1),
            0,
          );
          reject(
            new Error(
              `subscriber ${this.stats.id}: no message for ${idleMs}ms after ${this.stats.received} of ${expected}`,
            ),
          );
        },
        Math.min(idleMs, 100),
      );
    });
    try {
      await Promise.race([Promise.all(this.readers), stalled]);
    } finally {
      clearInterval(watchdog);
    }
  }

  cancel(): void {
    for (const subscription of this.subscriptions) subscription.cancel();
  }

  private async read(partition: number, subscription: Subscription): Promise<void> {
    for await (const message of subscription) {
      const now = performance.now();
      this.lastProgressAt = now;
      this.lastOffsets[partition] = message.offset;
      this.stats.received++;
      this.stats.bytes += message.value.length;
      this.stats.finishedAt = now;
      if (this.reachedEnd(partition)) break;
    }
  }

  private reachedEnd(partition: number): boolean {
    const end = this.endOffsets?.[partition];
    return end !== undefined && this.lastOffsets[partition]! >= end;
  }
}
