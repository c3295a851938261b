import type { NatsConnection, Subscription } from "nats";
import type { PartitionFailure } from "./status.js";
import { clusterSubjects } from "./subjects.js";

/** How often each broker announces itself. */
export const HEARTBEAT_INTERVAL_MS = 500;

interface Heartbeat {
  id: string;
  host: string;
  port: number;
  /** Partitions the broker could not open (at most MAX_REPORTED_FAILURES). */
  failures?: PartitionFailure[];
}

/** How many local failures a heartbeat carries, and how much of each error. */
const MAX_REPORTED_FAILURES = 20;
const MAX_ERROR_CHARS = 300;

/**
 * Every broker announces itself on `<ns>.heartbeat` and remembers when it last heard from
 * each other broker. The controller turns silence into "broker down" (and back); FetchMetadata
 * relies on that replicated verdict, not on this local view.
 */
export class BrokerLiveness {
  private readonly lastSeen = new Map<string, number>();
  private readonly reported = new Map<string, PartitionFailure[]>();
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly namespace: string,
    private readonly self: Heartbeat,
    /** This broker's partitions that could not be opened, announced with each heartbeat. */
    private readonly localFailures: () => PartitionFailure[] = () => [],
  ) {}

  async start(): Promise<void> {
    const subject = clusterSubjects(this.namespace).heartbeat;
    this.subscription = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const beat = JSON.parse(Buffer.from(msg.data).toString("utf8")) as Heartbeat;
          if (typeof beat.id !== "string") return;
          this.lastSeen.set(beat.id, Date.now());
          this.reported.set(beat.id, Array.isArray(beat.failures) ? beat.failures : []);
        } catch {
          // Not ours: another process on the subject.
        }
      },
    });
    const announce = () => {
      try {
        this.nc.publish(subject, this.heartbeat());
      } catch {
        // Reconnecting: the next beat goes out once NATS is back.
      }
    };
    announce();
    this.timer = setInterval(announce, HEARTBEAT_INTERVAL_MS);
    await this.nc.flush();
  }

  private heartbeat(): Uint8Array {
    const failures = this.localFailures()
      .slice(0, MAX_REPORTED_FAILURES)
      .map((f) => ({
        stream: f.stream,
        partition: f.partition,
        error: f.error.slice(0, MAX_ERROR_CHARS),
      }));
    const beat: Heartbeat = failures.length ? { ...this.self, failures } : this.self;
    return Buffer.from(JSON.stringify(beat));
  }

  /** The partitions `id` could not open, as it reported them (this broker: as they are now). */
  failuresOf(id: string): PartitionFailure[] {
    if (id === this.self.id) return this.localFailures();
    return this.reported.get(id) ?? [];
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
