import type { LogDamage } from "../log/log-damage.js";
import type { ReplicaContext } from "./control.js";
import { ReportThrottle } from "./report-throttle.js";

/** How often a leader that must not lead asks again while it still leads. */
const RESIGN_RETRY_MS = 1000;
/** How often a damaged leader says again that it is asking, or alone. */
const ALONE_REMINDER_MS = 30_000;

/** A damaged range as log fields. */
export function damageFields(d: LogDamage): Record<string, unknown> {
  return {
    fromOffset: d.fromOffset,
    toOffset: d.toOffset,
    kind: d.kind,
    reason: d.reason,
    segment: d.segment,
  };
}

/**
 * A leader must not lead with a log it cannot serve in full: damaged or missing ranges
 * (`log.damage()`), or committed records a follower has and its log lacks. While another ISR
 * member exists it asks the controller to hand the partition over (again every second while
 * it still leads); the controller elects another ISR member and this replica, now outside the
 * ISR, repairs as a follower. Alone in the ISR it keeps leading: its log never serves nor
 * reuses the damaged offsets, and it says so loudly (every 30 s).
 */
export class LeaderResignation {
  private lacking?: string;
  private asking = false;
  private readonly retries = new ReportThrottle(RESIGN_RETRY_MS);
  private readonly reminders = new ReportThrottle(ALONE_REMINDER_MS);

  constructor(private readonly o: ReplicaContext) {}

  /** A follower's high watermark is past this leader's log end: committed records are missing. */
  lacksCommitted(replica: string, highWatermark: number): void {
    this.lacking ??= `${replica} has committed records up to offset ${highWatermark}, but this leader's log ends at ${this.o.log.newestOffset}`;
    this.check();
  }

  /** Asks to resign if the log says so (called at start and on the leader's ISR timer). */
  check(now = Date.now()): void {
    const { log, info, settings, logger, control, stream } = this.o;
    if (this.asking || info.leader !== settings.serverId) return;
    const damage = log.damage();
    const reason =
      this.lacking ??
      (damage.length > 0
        ? `the log cannot serve ${damage.map((d) => `${d.fromOffset}-${d.toOffset} (${d.kind})`).join(", ")}`
        : undefined);
    if (!reason) return;
    const fields = {
      stream: stream.name,
      partition: info.id,
      leaderEpoch: info.leaderEpoch,
      reason,
      damage: damage.map(damageFields),
    };
    const others = info.isr.filter((r) => r !== settings.serverId);
    if (others.length === 0) {
      if (this.reminders.take("alone", now)) {
        logger.error(
          "the only in-sync replica has a damaged log: leading on; the damaged offsets are never served or reused",
          fields,
        );
      }
      return;
    }
    if (!this.retries.take("resign", now)) return;
    // Asked again every second while it leads; said again only every 30 s.
    const tell = this.reminders.take("resign", now);
    if (tell) {
      logger.warn(
        "this leader cannot lead with its log; asking the controller to move the leadership",
        { ...fields, isr: info.isr },
      );
    }
    this.asking = true;
    const leaderEpoch = info.leaderEpoch;
    control
      .resignLeader(stream.name, info.id, leaderEpoch, reason)
      .then(
        (answer) => {
          if (answer.moved) {
            logger.info("leadership moved to another ISR member", {
              ...fields,
              successor: answer.leader,
            });
          } else if (tell) {
            logger.warn("could not resign the leadership; leading on", {
              ...fields,
              refused: answer.reason,
            });
          }
        },
        (err) => {
          if (tell)
            logger.warn("could not ask the controller to resign", { ...fields, error: err });
        },
      )
      .finally(() => {
        this.asking = false;
      });
  }
}
