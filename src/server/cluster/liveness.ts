import type { NatsConnection, Subscription } from "nats";
import { clusterSubjects } from "./subjects.js";

/** How often each broker announces itself. */
export const HEARTBEAT_INTERVAL_MS = 500;

interface Heartbeat {
  id: string;
  host: string;
  port: number;
}

/**
 * Every broker announces itself on `<ns>.heartbeat` and remembers when it last heard from
 * each other broker. The controller turns silence into "broker down" (and back); FetchMetadata
 * relies on that replicated verdict, not on this local view.
 */
export class BrokerLiveness {
  private readonly lastSeen = new Map<string, number>();
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly self: Heartbeat,
  ) {}

  async start(): Promise<void> {
    const subject = clusterSubjects(this.namespace).heartbeat;
    this.subscription = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const beat = JSON.parse(Buffer.from(msg.data).toString("utf8")) as Heartbeat;
          if (typeof beat.id === "string") this.lastSeen.set(beat.id, Date.now());
        } catch {
          // Not ours: another process on the subject.
        }
      },
    });
    const beat = Buffer.from(JSON.stringify(this.self));
    const announce = () => {
      try {
        this.nc.publish(subject, beat);
      } catch {
        // Reconnecting: the next beat goes out once NATS is back.
      }
    };
    announce();
    this.timer = setInterval(announce, HEARTBEAT_INTERVAL_MS);
    await this.nc.flush();
  }

  /** When this broker last heard from `id` (ms since the epoch), undefined if never. */
  lastHeard(id: string): number | undefined {
    return id === this.self.id ? Date.now() : this.lastSeen.get(id);
  }

  stop(): void {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }
}
