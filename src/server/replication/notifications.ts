import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "../logger.js";
import { decodePartitionNotification } from "./protocol.js";
import { notifySubject } from "./subjects.js";

/**
 * The one subscription per broker to `<ns>.notify.<serverId>`, on which partition leaders say
 * "new records": each notification wakes the follower registered for that partition.
 */
export class ReplicationNotifications {
  private readonly followers = new Map<string, () => void>();
  private subscription?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly serverId: string,
    private readonly logger: Logger,
  ) {}

  /** Subscribes; call nc.flush() afterwards when leaders must be heard from at once. */
  start(): void {
    if (this.subscription) return;
    this.subscription = this.nc.subscribe(notifySubject(this.namespace, this.serverId), {
      callback: (err, msg) => {
        if (err) {
          this.logger.error("notification subscription failed", { error: err });
          return;
        }
        try {
          const { stream, partition } = decodePartitionNotification(msg.data);
          this.followers.get(key(stream, partition))?.();
        } catch (e) {
          this.logger.warn("dropped a malformed partition notification", { error: e });
        }
      },
    });
  }

  /** Calls `wake` on notifications for the partition until the returned function is called. */
  register(stream: string, partition: number, wake: () => void): () => void {
    const k = key(stream, partition);
    this.followers.set(k, wake);
    return () => {
      if (this.followers.get(k) === wake) this.followers.delete(k);
    };
  }

  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.followers.clear();
  }
}

function key(stream: string, partition: number): string {
  return `${stream}\u0000${partition}`;
}
