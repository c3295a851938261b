import type { Logger } from "../logger.js";
import type { MetadataState } from "../metadata/state.js";
import type { MetadataCommand } from "../metadata/types.js";
import type { BrokerLiveness } from "./liveness.js";
import type { MetadataRaft } from "./metadata-raft.js";

/** A broker silent for this long is marked down by the controller. */
export const BROKER_TIMEOUT_MS = 4000;
const CHECK_MS = 250;

/**
 * What only the controller (the metadata Raft leader) does: mark brokers down when they go
 * silent and up when they return, and elect a new partition leader once a majority of the
 * partition's followers in the ISR report its leader gone. Every decision is a metadata
 * command, so a controller change loses nothing but in-memory reports.
 */
export class Controller {
  private timer?: NodeJS.Timeout;
  private leaderSince = 0;
  private readonly inFlight = new Set<string>();
  /** When this controller first saw each broker registered and alive: its grace starts then. */
  private readonly aliveSince = new Map<string, number>();
  /** `<stream>/<partition>/<leaderEpoch>` -> followers that reported the leader gone. */
  private readonly reports = new Map<string, Set<string>>();

  constructor(
    private readonly raft: MetadataRaft,
    private readonly state: MetadataState,
    private readonly liveness: BrokerLiveness,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.raft.onControllerChange(() => {
      this.reports.clear();
      if (this.raft.isLeader) this.leaderSince = Date.now();
    });
    if (this.raft.isLeader) this.leaderSince = Date.now();
    this.raft.handleRpc("reportLeader", async (request) => {
      this.reportLeader(
        request.stream as string,
        request.partition as number,
        request.leader as string,
        request.leaderEpoch as number,
        request.reporter as string,
      );
      return {};
    });
    this.raft.handleRpc("resignLeader", (request) => this.resignLeader(request));
    this.timer = setInterval(() => this.checkBrokers(), CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private checkBrokers(): void {
    if (!this.raft.isLeader) return;
    const now = Date.now();
    for (const broker of this.state.listBrokers()) {
      if (broker.alive === false) this.aliveSince.delete(broker.id);
      else if (!this.aliveSince.has(broker.id)) this.aliveSince.set(broker.id, now);
      // A new controller has not heard anyone yet, and a broker that just registered may not
      // have announced itself yet: each gets a full timeout first.
      const heard = Math.max(
        this.liveness.lastHeard(broker.id) ?? 0,
        this.leaderSince,
        this.aliveSince.get(broker.id) ?? 0,
      );
      const silent = now - heard > BROKER_TIMEOUT_MS;
      if (silent && broker.alive !== false) {
        this.logger.warn("broker stopped answering; moving its leaderships", { id: broker.id });
        this.decide(`down:${broker.id}`, { op: "brokerDown", id: broker.id });
      } else if (!silent && broker.alive === false && this.liveness.lastHeard(broker.id)) {
        this.logger.info("broker is back", { id: broker.id });
        this.decide(`up:${broker.id}`, { op: "brokerUp", id: broker.id });
      }
    }
  }

  /**
   * A follower says the partition's leader stopped answering. Once a majority of the ISR's
   * followers agree (one follower alone could merely be cut off from it), a live ISR member
   * takes over.
   */
  private reportLeader(
    stream: string,
    partition: number,
    leader: string,
    leaderEpoch: number,
    reporter: string,
  ): void {
    if (!this.raft.isLeader) throw new Error("not the controller");
    const info = this.state.getPartition(stream, partition);
    if (!info || info.leader !== leader || info.leaderEpoch !== leaderEpoch) return;
    if (!info.isr.includes(reporter)) return;
    const key = `${stream}/${partition}/${leaderEpoch}`;
    const witnesses = this.reports.get(key) ?? new Set<string>();
    witnesses.add(reporter);
    this.reports.set(key, witnesses);
    const followers = info.isr.filter((r) => r !== leader);
    if (witnesses.size <= followers.length / 2) return;
    const successor = this.state.pickLeader(followers);
    if (!successor) return;
    this.logger.warn("partition leader reported gone; electing a new one", {
      stream,
      partition,
      leader,
      successor,
    });
    this.reports.delete(key);
    this.decide(`leader:${key}`, {
      op: "changeLeader",
      stream,
      partition,
      leaderEpoch,
      leader: successor,
    });
  }

  /**
   * A partition leader cannot lead with its log (damaged, or missing committed records): a live
   * member of the rest of the ISR takes over, and the old leader leaves the ISR (as on every
   * leader change) until it has repaired and caught up. With no such member it keeps leading.
   */
  private async resignLeader(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.raft.isLeader) throw new Error("not the controller");
    const { stream, partition, leaderEpoch, leader, reason } = request;
    if (
      typeof stream !== "string" ||
      typeof leader !== "string" ||
      typeof reason !== "string" ||
      !Number.isSafeInteger(partition) ||
      !Number.isSafeInteger(leaderEpoch)
    ) {
      throw new Error(
        "resignLeader needs stream, leader and reason (strings), partition and leaderEpoch (integers)",
      );
    }
    const info = this.state.getPartition(stream, partition as number);
    if (!info) return { moved: false, reason: `no partition ${stream}/${String(partition)}` };
    if (info.leader !== leader || info.leaderEpoch !== leaderEpoch) {
      return {
        moved: false,
        reason: `${leader} does not lead ${stream}/${String(partition)} in leader epoch ${String(leaderEpoch)} (the leader is ${info.leader} in ${info.leaderEpoch})`,
      };
    }
    const successor = this.state.pickLeader(info.isr.filter((r) => r !== leader));
    if (!successor) {
      return { moved: false, reason: `no other live ISR member (ISR: ${info.isr.join(", ")})` };
    }
    this.logger.warn("partition leader resigns; electing another ISR member", {
      stream,
      partition,
      leader,
      leaderEpoch,
      successor,
      reason,
    });
    const result = await this.raft.propose({
      op: "changeLeader",
      stream,
      partition: partition as number,
      leaderEpoch: leaderEpoch as number,
      leader: successor,
    });
    return result.ok
      ? { moved: true, leader: successor }
      : { moved: false, reason: `the leader change was refused: ${result.reason}` };
  }

  private decide(key: string, command: MetadataCommand): void {
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    this.raft
      .propose(command)
      .catch((err) =>
        this.logger.warn("controller decision not committed", { command, error: err }),
      )
      .finally(() => this.inFlight.delete(key));
  }
}
