import type { CommitLog } from "../log/index.js";
import type { Logger } from "../logger.js";

/** How often a replica writes its high watermark down while it moves. */
export const HIGH_WATERMARK_CHECKPOINT_MS = 1000;

/**
 * Writes a replica's high watermark to its log's checkpoint while it moves (at most once per
 * interval, one write at a time) as well as when the replica closes, so that a replica that
 * crashed restarts at most an interval behind the high watermark it had, never at -1.
 */
export class HighWatermarkCheckpoints {
  private timer?: NodeJS.Timeout;
  private written: number;
  private writing = false;

  constructor(
    private readonly log: CommitLog,
    private readonly highWatermark: () => number,
    private readonly logger: Logger,
    private readonly where: Record<string, unknown>,
  ) {
    this.written = log.loadedHighWatermark ?? -1;
  }

  start(intervalMs = HIGH_WATERMARK_CHECKPOINT_MS): void {
    this.timer ??= setInterval(() => this.write(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; the replica writes its final high watermark itself when it closes. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private write(): void {
    const hw = this.highWatermark();
    if (this.writing || hw <= this.written) return;
    this.writing = true;
    this.log
      .checkpointHighWatermark(hw)
      .then(
        () => {
          this.written = hw;
        },
        (err) =>
          this.logger.warn("could not checkpoint the high watermark", {
            ...this.where,
            highWatermark: hw,
            error: err,
          }),
      )
      .finally(() => {
        this.writing = false;
      });
  }
}
