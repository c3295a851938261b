import {
  AckPolicy,
  type ActivityStreamEvent,
  ActivityStreamOp,
  decodeActivityStreamEvent,
  decodeMessage,
  encodeActivityStreamEvent,
  type MessageInit,
} from "../wire/api.js";
import type { ApiContext } from "./api/context.js";
import { publish } from "./api/publish.js";
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
 * change and consumer-group join and leave to the internal `__activity` stream, in the order they were applied. Each event's id
 * is the index of its command in the replicated metadata log; at start the publisher reads
 * the newest id already in `__activity` and continues after it, so no event is lost or
 * published twice across restarts (and, with Raft, across controller changes).
 */
export class ActivityPublisher {
  private next = 1;
  private wake?: () => void;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ApiContext,
    private readonly signal: AbortSignal,
  ) {}

  get enabled(): boolean {
    return this.ctx.config.activity.streamEnabled;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    await this.ensureStream();
    this.next = (await this.lastPublishedId()) + 1;
    this.ctx.replicatedLog.onApplied(() => this.wake?.());
    this.running = this.dispatch();
  }

  async stop(): Promise<void> {
    this.wake?.();
    await this.running;
  }

  private async ensureStream(): Promise<void> {
    if (this.ctx.metadata.getStream(ACTIVITY_STREAM)) return;
    const brokers = this.ctx.metadata.placementLoad();
    await this.ctx.replicatedLog.propose({
      op: "createStream",
      stream: {
        name: ACTIVITY_STREAM,
        subject: `${this.ctx.config.namespace}.activity`,
        group: "",
        replicationFactor: brokers.length,
        partitions: placePartitions(brokers, 1, brokers.length),
        settings: {},
        creationTimestamp: nowNanos().toString(),
      },
    });
    await this.ctx.partitions.whenSettled(ACTIVITY_STREAM);
  }

  private async lastPublishedId(): Promise<number> {
    const partition = this.ctx.partitions.get(ACTIVITY_STREAM, 0);
    if (!partition || partition.highWatermark < 0) return 0;
    const [newest] = await partition.read(partition.highWatermark, 1);
    if (!newest) return 0;
    return decodeActivityStreamEvent(decodeMessage(newest.body).value).id;
  }

  private async dispatch(): Promise<void> {
    let backoff = 0;
    while (!this.signal.aborted) {
      if (this.next > this.ctx.replicatedLog.appliedIndex) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const entry = this.ctx.replicatedLog.entry(this.next);
      const event = entry?.result.ok ? activityEvent(this.next, entry.command) : undefined;
      if (event) {
        try {
          await this.publish(event);
          backoff = 0;
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

  private async publish(event: MessageInit<ActivityStreamEvent>): Promise<void> {
    const { streamPublishAckPolicy, streamPublishTimeoutMs } = this.ctx.config.activity;
    await publish(
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
        expectedOffset: -1,
      },
      Date.now() + streamPublishTimeoutMs,
    );
  }
}
