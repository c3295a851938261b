import type {
  FetchConsumerGroupAssignmentsRequest,
  FetchConsumerGroupAssignmentsResponse,
  JoinConsumerGroupRequest,
  JoinConsumerGroupResponse,
  LeaveConsumerGroupRequest,
  ReportConsumerGroupCoordinatorRequest,
} from "../wire/api.js";
import type { ApiContext } from "./api/context.js";
import { failedPrecondition, invalidArgument, notFound } from "./api/status.js";
import { checkStreamName, validateId } from "./api/validate.js";
import { memberAssignments } from "./metadata/group-assignment.js";

const NANOS_PER_MS = 1_000_000;

/**
 * Consumer groups on the coordinator (the broker that first saw the group): membership goes
 * through the replicated metadata log; liveness is the coordinator's own business, so a member
 * that stops fetching its assignments for groups.consumer.timeout is removed as expired.
 */
export class GroupCoordinator {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly ctx: ApiContext) {}

  async join(req: JoinConsumerGroupRequest): Promise<JoinConsumerGroupResponse> {
    validateId("groupId", req.groupId);
    validateId("consumerId", req.consumerId);
    if (req.streams.length === 0) throw invalidArgument("No streams provided");
    for (const stream of req.streams) checkStreamName(stream, "streams entry");
    const unknown = (s: string) => !this.ctx.metadata.getStream(s);
    if (req.streams.some(unknown)) await this.ctx.replicatedLog.catchUp();
    const missing = req.streams.find(unknown);
    if (missing !== undefined) throw notFound(`No such stream: ${missing}`);
    const existing = this.ctx.metadata.getGroup(req.groupId);
    if (existing && existing.coordinator !== this.ctx.serverId) {
      throw failedPrecondition(`Broker is not the coordinator of group ${req.groupId}`);
    }
    await this.ctx.replicatedLog.propose({
      op: "joinGroup",
      group: req.groupId,
      consumer: req.consumerId,
      streams: req.streams,
      coordinator: this.ctx.serverId,
    });
    this.lastSeen.set(memberKey(req.groupId, req.consumerId), Date.now());
    const group = this.ctx.metadata.getGroup(req.groupId)!;
    const { consumerTimeoutMs, coordinatorTimeoutMs } = this.ctx.config.groups;
    return {
      coordinator: group.coordinator,
      epoch: group.epoch,
      // Go durations, as upstream sends them: nanoseconds.
      consumerTimeout: consumerTimeoutMs * NANOS_PER_MS,
      coordinatorTimeout: coordinatorTimeoutMs * NANOS_PER_MS,
    };
  }

  async leave(req: LeaveConsumerGroupRequest, expired = false): Promise<void> {
    validateId("groupId", req.groupId);
    validateId("consumerId", req.consumerId);
    const result = await this.ctx.replicatedLog.propose({
      op: "leaveGroup",
      group: req.groupId,
      consumer: req.consumerId,
      expired,
    });
    this.lastSeen.delete(memberKey(req.groupId, req.consumerId));
    if (!result.ok) {
      throw notFound(`Consumer ${req.consumerId} is not a member of group ${req.groupId}`);
    }
  }

  /** The member's assignments; also its heartbeat. */
  fetchAssignments(
    req: FetchConsumerGroupAssignmentsRequest,
  ): FetchConsumerGroupAssignmentsResponse {
    if (!req.groupId) throw invalidArgument("No groupId provided");
    if (!req.consumerId) throw invalidArgument("No consumerId provided");
    const group = this.ctx.metadata.getGroup(req.groupId);
    if (!group) throw notFound(`No such consumer group: ${req.groupId}`);
    if (group.coordinator !== this.ctx.serverId) {
      throw failedPrecondition(`Broker is not the coordinator of group ${req.groupId}`);
    }
    if (req.epoch !== group.epoch) {
      throw failedPrecondition(
        `client-provided group epoch ${req.epoch} differs from broker group epoch ${group.epoch}`,
      );
    }
    const assigned = memberAssignments(this.ctx.metadata, req.groupId, req.consumerId);
    if (!assigned) {
      throw failedPrecondition(
        `Consumer ${req.consumerId} is not a member of group ${req.groupId}`,
      );
    }
    this.lastSeen.set(memberKey(req.groupId, req.consumerId), Date.now());
    return {
      epoch: group.epoch,
      assignments: [...assigned].map(([stream, partitions]) => ({ stream, partitions })),
    };
  }

  report(req: ReportConsumerGroupCoordinatorRequest): void {
    if (!req.groupId) throw invalidArgument("No groupId provided");
    if (!req.consumerId) throw invalidArgument("No consumerId provided");
    if (!req.coordinator) throw invalidArgument("No coordinator provided");
    const group = this.ctx.metadata.getGroup(req.groupId);
    if (!group) throw notFound(`No such consumer group: ${req.groupId}`);
    // A single broker has no other coordinator to elect: the report is noted and nothing changes.
    this.ctx.logger.warn("consumer reported its group coordinator as failed", {
      group: req.groupId,
      consumer: req.consumerId,
      coordinator: req.coordinator,
    });
  }

  /** Removes members of the groups this broker coordinates that stopped fetching assignments. */
  async expireMembers(nowMs = Date.now()): Promise<void> {
    const timeout = this.ctx.config.groups.consumerTimeoutMs;
    for (const group of this.ctx.metadata.listGroups()) {
      if (group.coordinator !== this.ctx.serverId) continue;
      for (const member of group.members) {
        const key = memberKey(group.id, member.id);
        const seen = this.lastSeen.get(key);
        if (seen === undefined) {
          this.lastSeen.set(key, nowMs); // known from before a restart: give it a full timeout
          continue;
        }
        if (nowMs - seen < timeout) continue;
        this.ctx.logger.info("consumer expired from its group", {
          group: group.id,
          consumer: member.id,
        });
        await this.leave({ groupId: group.id, consumerId: member.id }, true).catch(() => undefined);
      }
    }
  }
}

function memberKey(group: string, consumer: string): string {
  return `${group}\u0000${consumer}`;
}
