import { LiftbridgeClient } from "../client/index.js";
import {
  type Ack,
  AckError,
  AckPolicy,
  type ActivityStreamEvent,
  ActivityStreamOp,
  decodeActivityStreamEvent,
  decodeMessage,
  encodeActivityStreamEvent,
  type MessageInit,
} from "../wire/api.js";
import type { ApiContext } from "./api/context.js";
import { ackRefusal, publishForAck } from "./api/publish.js";
import { RESERVED_STREAMS } from "./api/validate.js";
import { nowNanos } from "./clock.js";
import { placePartitions } from "./metadata/placement.js";
import type { MetadataCommand } from "./metadata/types.js";

export const ACTIVITY_STREAM = "__activity";
const MAX_BACKOFF_MS = 5000;

const ACK_POLICIES = { none: AckPolicy.NONE, leader: AckPolicy.LEADER, all: AckPolicy.ALL };

/** The activity event for an applied metadata command, if it is one users see. */
export function activityEvent(
  index: number,
  command: MetadataCommand,
): MessageInit<ActivityStreamEvent> | undefined {
  switch (command.op) {
    case "createStream":
      if (RESERVED_STREAMS.has(command.stream.name)) return undefined;
      return {
        id: index,
        op: ActivityStreamOp.CREATE_STREAM,
        createStreamOp: {
          stream: command.stream.name,
          partitions: command.stream.partitions.map((p) => p.id),
        },
      };
    case "deleteStream":
      return {
        id: index,
        op: ActivityStreamOp.DELETE_STREAM,
        deleteStreamOp: { stream: command.name },
      };
    case "pauseStream":
      return {
        id: index,
        op: ActivityStreamOp.PAUSE_STREAM,
        pauseStreamOp: {
          stream: command.stream,
          partitions: command.partitions,
          resumeAll: command.resumeAll,
        },
      };
    case "resumeStream":
      return {
        id: index,
        op: ActivityStreamOp.RESUME_STREAM,
        resumeStreamOp: { stream: command.stream, partitions: command.partitions },
      };
    case "setReadonly":
      return {
        id: index,
        op: ActivityStreamOp.SET_STREAM_READONLY,
        setStreamReadonlyOp: {
          stream: command.stream,
          partitions: command.partitions,
          readonly: command.readonly,
        },
      };
    case "joinGroup":
      return {
        id: index,
        op: ActivityStreamOp.JOIN_CONSUMER_GROUP,
        joinConsumerGroupOp: {
          groupId: command.group,
          consumerId: command.consumer,
          streams: command.streams,
        },
      };
    case "leaveGroup":
      return {
        id: index,
        op: ActivityStreamOp.LEAVE_CONSUMER_GROUP,
        leaveConsumerGroupOp: {
          groupId: command.group,
          consumerId: command.consumer,
          expired: command.expired,
        },
      };
    default:
      return undefined;
  }
}

/**
 * Publishes one ActivityStreamEvent per applied create, delete, pause, resume and read-only
 * change and consumer-group join and leave to the internal `__activity` stream, in the order
 * they were applied. Only the controller publishes. Each event's id is the index of its
 * command in the replicated metadata log. When a broker becomes controller (or starts) it reads
 * the newest event in `__activity` and continues after it; every event is published with the
 * offset it must get (optimistic concurrency is on for `__activity`), so a deposed controller
 * still publishing cannot slip in a duplicate: whoever loses the race re-reads and moves on.
 */
export class ActivityPublisher {
  private next = 1;
  /** Offset the next event must get. */
  private nextOffset = 0;
  private wake?: () => void;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly signal: AbortSignal,
    private readonly controller: ControllerRole,
  ) {}

  get enabled(): boolean {
    return this.ctx.config.activity.streamEnabled;
  }

  start(): void {
    if (!this.enabled) return;
    this.ctx.replicatedLog.onApplied(() => this.wake?.());
    this.controller.onControllerChange(() => {
      this.wake?.();
      this.lead();
    });
    this.lead();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running?.catch(() => undefined);
  }

  private get leading(): boolean {
    return this.controller.isLeader && !this.signal.aborted && !this.stopped;
  }

  private lead(): void {
    if (!this.leading || this.running) return;
    this.running = this.publishWhileLeading()
      .catch(async (err) => {
        this.ctx.logger.warn("activity publisher failed; retrying", { error: err });
        await new Promise((resolve) => setTimeout(resolve, MAX_BACKOFF_MS / 5));
      })
      .finally(() => {
        this.running = undefined;
        if (this.leading) this.lead();
      });
  }

  private async publishWhileLeading(): Promise<void> {
    // The stream is created with the first event, so it spans the brokers there are by then.
    let streamReady = false;
    if (this.ctx.metadata.getStream(ACTIVITY_STREAM)) {
      await this.ctx.partitions.whenSettled(ACTIVITY_STREAM);
      await this.resumeAfterNewest();
      streamReady = true;
    } else {
      this.next = 1;
      this.nextOffset = 0;
    }
    let backoff = 0;
    while (this.leading) {
      if (this.next > this.ctx.replicatedLog.appliedIndex) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const entry = this.ctx.replicatedLog.entry(this.next);
      const event = entry?.result.ok ? activityEvent(this.next, entry.command) : undefined;
      if (event && !streamReady) {
        await this.ensureStream();
        await this.resumeAfterNewest();
        streamReady = true;
        continue;
      }
      if (event) {
        try {
          const ack = await this.publish(event);
          if (ack?.ackError === AckError.INCORRECT_OFFSET) {
            // Someone else (a deposed controller) published meanwhile: continue after it.
            await this.resumeAfterNewest();
            continue;
          }
          if (ack && ack.ackError !== AckError.OK) throw ackRefusal(ack, this.ctx);
          backoff = 0;
          this.nextOffset++;
        } catch (err) {
          backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 100);
          this.ctx.logger.warn("activity event not published yet; retrying", {
            id: this.next,
            error: err,
          });
          await new Promise((resolve) => setTimeout(resolve, backoff));
          continue;
        }
      }
      this.next++;
    }
  }

  private async ensureStream(): Promise<void> {
    if (!this.ctx.metadata.getStream(ACTIVITY_STREAM)) {
      const brokers = this.ctx.metadata.placementLoad();
      await this.ctx.replicatedLog.propose({
        op: "createStream",
        stream: {
          name: ACTIVITY_STREAM,
          subject: `${this.ctx.config.namespace}.activity`,
          group: "",
          replicationFactor: brokers.length,
          partitions: placePartitions(brokers, 1, brokers.length),
          settings: { optimisticConcurrencyControl: true },
          creationTimestamp: nowNanos().toString(),
        },
      });
    }
    await this.ctx.partitions.whenSettled(ACTIVITY_STREAM);
  }

  /** Reads the newest published event (on whichever broker leads `__activity`). */
  private async resumeAfterNewest(): Promise<void> {
    const newest = await this.newestEvent();
    this.next = newest ? decodeActivityStreamEvent(newest.value).id + 1 : 1;
    this.nextOffset = newest ? newest.offset + 1 : 0;
  }

  private async newestEvent(): Promise<{ offset: number; value: Uint8Array } | undefined> {
    const local = this.ctx.partitions.get(ACTIVITY_STREAM, 0);
    if (local) {
      if (local.highWatermark < 0) return undefined;
      const [newest] = await local.read(local.highWatermark, 1);
      return newest && { offset: newest.offset, value: decodeMessage(newest.body).value };
    }
    const leader = this.ctx.metadata.getPartition(ACTIVITY_STREAM, 0)?.leader;
    const broker = this.ctx.metadata.listBrokers().find((b) => b.id === leader);
    if (!broker) throw new Error(`no live leader for ${ACTIVITY_STREAM}`);
    const client = await LiftbridgeClient.connect([`${broker.host}:${broker.port}`]);
    try {
      const { highWatermark } = await client.fetchPartitionMetadata(ACTIVITY_STREAM, 0);
      if (highWatermark < 0) return undefined;
      const subscription = await client.subscribe(ACTIVITY_STREAM, {
        start: { kind: "offset", offset: highWatermark },
        stop: { kind: "offset", offset: highWatermark },
      });
      for await (const message of subscription) {
        return { offset: message.offset, value: message.value };
      }
      return undefined;
    } finally {
      client.close();
    }
  }

  private publish(event: MessageInit<ActivityStreamEvent>): Promise<Ack | undefined> {
    const { streamPublishAckPolicy, streamPublishTimeoutMs } = this.ctx.config.activity;
    return publishForAck(
      this.ctx,
      {
        stream: ACTIVITY_STREAM,
        partition: 0,
        key: new Uint8Array(0),
        value: encodeActivityStreamEvent(event),
        headers: {},
        ackInbox: "",
        correlationId: "",
        ackPolicy: ACK_POLICIES[streamPublishAckPolicy],
        // Without an ack nobody would hear of a lost race: fencing needs an ack policy.
        expectedOffset: streamPublishAckPolicy === "none" ? -1 : this.nextOffset,
      },
      Date.now() + streamPublishTimeoutMs,
    );
  }
}

/** What the activity publisher needs to know about the controller role. */
export interface ControllerRole {
  readonly isLeader: boolean;
  onControllerChange(listener: (leader: string) => void): void;
}
