import type {
  DescribeClusterResponse,
  DescribeGroupsResponse,
  DescribeStreamsResponse,
  PartitionCompaction,
  PartitionProgress,
} from "../wire/admin.js";
import type { Ack, PartitionMetadata } from "../wire/api.js";
import { formatAddress, parseAddress } from "./address.js";
import { type BrokerStub, BrokerStubs } from "./broker-stub.js";
import { ackErrorToLbError, isLbError, LbError, toLbError } from "./errors.js";
import { Metadata } from "./metadata.js";
import { partitionForKey, RoundRobinPartitioner } from "./partitioner.js";
import {
  AsyncPublisher,
  DEFAULT_ACK_TIMEOUT_MS,
  nextCorrelationId,
  type PublishRoute,
} from "./publisher.js";
import {
  buildCreateStreamRequest,
  buildPublishRequest,
  buildPublishToSubjectRequest,
  buildSubscribeRequest,
  requireInteger,
  requireName,
  requirePositiveTimeout,
  resumeSubscribeRequest,
  toBytes,
} from "./requests.js";
import { DEFAULT_RETRY_BUDGET, type RetryBudget, withRetry } from "./retry.js";
import { openSubscribeCall, Subscription } from "./subscription.js";
import type {
  Bytes,
  ConnectOptions,
  CreateStreamOptions,
  PauseStreamOptions,
  PublishOptions,
  PublishToSubjectOptions,
  SetStreamReadonlyOptions,
  SubscribeOptions,
} from "./types.js";

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_RESUBSCRIBE_WAIT_MS = 30_000;
/** A stream missing from the cache is looked up again at most this often when publishing. */
const UNKNOWN_STREAM_RECHECK_MS = 1000;
const NOT_FOUND_HINT = "see: lb stream list";

/**
 * grpc-js says "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.
 * Resolution note: "; people need the "connect ECONNREFUSED 127.0.0.1:1" part.
 */
function connectionFailureReason(details: string): string {
  const match = /Last error: (?:\w*Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(details);
  return match?.[1]?.trim() || details;
}

/** An ack that reports a failure (wrong expected offset, too large...) is an error. */
function checkedAck(ack: Ack | undefined, context: string): Ack | undefined {
  const failure = ack && ackErrorToLbError(ack.ackError, context);
  if (failure) throw failure;
  return ack;
}

function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

/**
 * A Liftbridge client over gRPC: admin calls go to any broker (moving on when one is
 * unavailable); Subscribe and FetchPartitionMetadata go to the partition leader found in the
 * cached metadata, which is refreshed and the call retried when the broker says it is stale.
 */
const CURSORS_STREAM = "__cursors";

export class LiftbridgeClient {
  private readonly stubs = new BrokerStubs();
  private readonly roundRobin = new RoundRobinPartitioner();
  private readonly subscriptions = new Set<Subscription>();
  private readonly publishers = new Set<AsyncPublisher>();
  /** The publisher behind publish(), opened on first use. */
  private sharedPublisher: AsyncPublisher | undefined;
  private readonly unknownStreamCheckedAt = new Map<string, number>();
  private metadata = Metadata.empty();
  private metadataRefresh: { streams: string[]; done: Promise<void> } | undefined;
  private preferredAddress: string;
  private closed = false;

  private constructor(
    private readonly seedAddresses: readonly string[],
    private readonly requestTimeoutMs: number,
    private readonly retryBudget: RetryBudget,
  ) {
    this.preferredAddress = seedAddresses[0]!;
  }

  /**
   * Connects to the first of `addresses` ("host:port") that answers FetchMetadata, waiting up to
   * connectTimeoutMs for one to come up.
   */
  static async connect(
    addresses: string[],
    options: ConnectOptions = {},
  ): Promise<LiftbridgeClient> {
    if (addresses.length === 0) {
      throw new LbError("invalid_argument", "addresses: expected at least one HOST:PORT");
    }
    const seeds = [...new Set(addresses.map((address) => formatAddress(parseAddress(address))))];
    const connectTimeoutMs = requirePositiveTimeout(
      "connectTimeoutMs",
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    const client = new LiftbridgeClient(
      seeds,
      requirePositiveTimeout(
        "requestTimeoutMs",
        options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ),
      { ...DEFAULT_RETRY_BUDGET, ...options.retry },
    );
    try {
      await client.bootstrap(connectTimeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private async bootstrap(connectTimeoutMs: number): Promise<void> {
    const deadline = deadlineIn(connectTimeoutMs);
    const reasons = new Map<string, string>();
    const probe = async (address: string) => {
      const stub = this.stubs.get(address);
      try {
        return { address, response: await stub.unary("FetchMetadata", {}, { deadline }) };
      } catch (err) {
        const failure = toLbError(err);
        if (failure.kind !== "unavailable") throw failure;
        reasons.set(address, connectionFailureReason(failure.message));
      }
      // Down for now: wait (without polling) for it to come up until the deadline.
      try {
        return {
          address,
          response: await stub.unary("FetchMetadata", {}, { deadline, waitForReady: true }),
        };
      } catch (err) {
        const failure = toLbError(err);
        if (failure.kind !== "deadline_exceeded" && failure.kind !== "unavailable") throw failure;
        throw new LbError("unavailable", reasons.get(address) ?? failure.message, { cause: err });
      }
    };
    try {
      const { address, response } = await Promise.any(this.seedAddresses.map(probe));
      this.preferredAddress = address;
      this.metadata = Metadata.fromResponse(response);
    } catch (err) {
      const failures = err instanceof AggregateError ? err.errors : [err];
      const answered = failures.find((f) => isLbError(f) && f.kind !== "unavailable");
      if (answered) throw answered;
      const why = failures.map((f) => (f instanceof Error ? f.message : String(f))).join("; ");
      throw new LbError(
        "unavailable",
        `cannot reach lb at ${this.seedAddresses.join(", ")}: ${why}`,
        { retriable: true, hint: "is lb serve running? check --address or LB_ADDRESS", cause: err },
      );
    }
  }

  // ------------------------------------------------------------------------------------------
  // Streams

  async createStream(
    subject: string,
    name: string,
    options: CreateStreamOptions = {},
  ): Promise<void> {
    const request = buildCreateStreamRequest(subject, name, options);
    try {
      await this.callAnyBroker(`create stream "${name}"`, (stub) => {
        const deadline = deadlineIn(this.requestTimeoutMs);
        // lb's own options go through lb.admin.Admin; plain requests stay upstream's.
        return options.syncPolicy
          ? stub.admin("CreateStream", { request, syncPolicy: options.syncPolicy }, { deadline })
          : stub.unary("CreateStream", request, { deadline });
      });
    } catch (err) {
      if (isLbError(err, "already_exists")) {
        throw err.with({ message: `stream "${name}" already exists` });
      }
      throw err;
    } finally {
      this.forgetStream(name);
    }
  }

  async deleteStream(name: string): Promise<void> {
    requireName("name", name);
    try {
      await this.callAnyBroker(`delete stream "${name}"`, (stub) =>
        stub.unary("DeleteStream", { name }, { deadline: deadlineIn(this.requestTimeoutMs) }),
      );
    } catch (err) {
      if (isLbError(err, "not_found")) {
        throw err.with({ message: `stream "${name}" not found`, hint: NOT_FOUND_HINT });
      }
      throw err;
    } finally {
      this.forgetStream(name);
    }
  }

  async pauseStream(name: string, options: PauseStreamOptions = {}): Promise<void> {
    requireName("name", name);
    const partitions = (options.partitions ?? []).map((p) => requireInteger("partitions[]", p, 0));
    try {
      await this.callAnyBroker(`pause stream "${name}"`, (stub) =>
        stub.unary(
          "PauseStream",
          { name, partitions, resumeAll: options.resumeAll ?? false },
          { deadline: deadlineIn(this.requestTimeoutMs) },
        ),
      );
    } finally {
      this.forgetStream(name);
    }
  }

  async setStreamReadonly(name: string, options: SetStreamReadonlyOptions): Promise<void> {
    requireName("name", name);
    const partitions = (options.partitions ?? []).map((p) => requireInteger("partitions[]", p, 0));
    try {
      await this.callAnyBroker(`set stream "${name}" read-only`, (stub) =>
        stub.unary(
          "SetStreamReadonly",
          { name, partitions, readonly: options.readonly },
          { deadline: deadlineIn(this.requestTimeoutMs) },
        ),
      );
    } finally {
      this.forgetStream(name);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Metadata

  /** Brokers and streams as the cluster sees them now (all streams, or just those named). */
  async fetchMetadata(streams: string[] = []): Promise<Metadata> {
    const fresh = await this.callAnyBroker("fetch metadata", async (stub) =>
      Metadata.fromResponse(
        await stub.unary(
          "FetchMetadata",
          { streams },
          { deadline: deadlineIn(this.requestTimeoutMs) },
        ),
      ),
    );
    this.metadata = this.metadata.updatedWith(fresh, streams);
    return fresh;
  }

  /** Each stream's stored configuration (lb.admin.Admin/DescribeStreams). */
  async describeStreams(streams: string[] = []): Promise<DescribeStreamsResponse> {
    return this.callAnyBroker("describe streams", (stub) =>
      stub.admin("DescribeStreams", { streams }, { deadline: deadlineIn(this.requestTimeoutMs) }),
    );
  }

  /** Consumer groups (all, or those named) with members and assignments (lb.admin). */
  async describeGroups(groups: string[] = []): Promise<DescribeGroupsResponse> {
    try {
      return await this.callAnyBroker("describe groups", (stub) =>
        stub.admin("DescribeGroups", { groups }, { deadline: deadlineIn(this.requestTimeoutMs) }),
      );
    } catch (err) {
      if (isLbError(err, "not_found") && groups.length === 1) {
        throw err.with({
          message: `consumer group "${groups[0]}" not found`,
          hint: "see: lb group list",
        });
      }
      throw err;
    }
  }

  /** The metadata Raft group and the brokers, as the broker answering sees them. */
  async describeCluster(): Promise<DescribeClusterResponse> {
    return this.callAnyBroker("describe cluster", (stub) =>
      stub.admin("DescribeCluster", {}, { deadline: deadlineIn(this.requestTimeoutMs) }),
    );
  }

  /**
   * How each partition (all when none given) is replicated, asked of its leader, in the order
   * asked. Fails as a whole when one leader cannot answer; ask per partition to get the rest.
   */
  async describePartitions(
    stream: string,
    partitions: number[] = [],
  ): Promise<PartitionProgress[]> {
    requireName("stream", stream);
    const asked = partitions.map((p) => requireInteger("partitions[]", p, 0));
    let metadata = this.metadata;
    if (!metadata.stream(stream)) metadata = await this.refreshMetadata([stream]);
    const info = metadata.stream(stream);
    if (!info)
      throw new LbError("not_found", `stream "${stream}" not found`, { hint: NOT_FOUND_HINT });
    const ids = asked.length ? asked : info.partitions.map((p) => p.id);
    const answers = await Promise.all(
      ids.map((id) =>
        this.callPartitionLeader(
          stream,
          id,
          false,
          `describe stream "${stream}" partition ${id}`,
          (stub) =>
            stub.admin(
              "DescribePartitions",
              { stream, partitions: [id] },
              { deadline: deadlineIn(this.requestTimeoutMs) },
            ),
        ),
      ),
    );
    return answers.flatMap((answer) => answer.partitions);
  }

  /** Runs key compaction now on the partitions (all when none given), on their leaders. */
  async compact(stream: string, partitions: number[] = []): Promise<PartitionCompaction[]> {
    requireName("stream", stream);
    const metadata = await this.refreshMetadata([stream]);
    const info = metadata.stream(stream);
    if (!info)
      throw new LbError("not_found", `stream "${stream}" not found`, { hint: NOT_FOUND_HINT });
    const ids = partitions.length ? partitions : info.partitions.map((p) => p.id);
    const results: PartitionCompaction[] = [];
    for (const id of ids) {
      const response = await this.callPartitionLeader(
        stream,
        id,
        false,
        `compact stream "${stream}" partition ${id}`,
        (stub) =>
          stub.admin(
            "Compact",
            { stream, partitions: [id] },
            { deadline: deadlineIn(this.requestTimeoutMs) },
          ),
      );
      results.push(...response.partitions);
    }
    return results;
  }

  /** Stores a consumer's position, on the leader of the `__cursors` partition for its key. */
  async setCursor(
    stream: string,
    partition: number,
    cursorId: string,
    offset: number,
  ): Promise<void> {
    requireName("stream", stream);
    requireName("cursorId", cursorId);
    await this.callCursorLeader(stream, partition, cursorId, "set cursor", (stub) =>
      stub.unary(
        "SetCursor",
        { stream, partition, cursorId, offset },
        { deadline: deadlineIn(this.requestTimeoutMs) },
      ),
    );
  }

  /** A consumer's stored position; -1 when it was never set. */
  async fetchCursor(stream: string, partition: number, cursorId: string): Promise<number> {
    requireName("stream", stream);
    requireName("cursorId", cursorId);
    const response = await this.callCursorLeader(
      stream,
      partition,
      cursorId,
      "fetch cursor",
      (stub) =>
        stub.unary(
          "FetchCursor",
          { stream, partition, cursorId },
          { deadline: deadlineIn(this.requestTimeoutMs) },
        ),
    );
    return response.offset;
  }

  private async callCursorLeader<T>(
    stream: string,
    partition: number,
    cursorId: string,
    what: string,
    call: (stub: BrokerStub) => Promise<T>,
  ): Promise<T> {
    let metadata = this.metadata;
    if (!metadata.stream(CURSORS_STREAM)) metadata = await this.refreshMetadata([CURSORS_STREAM]);
    const count = metadata.partitionCount(CURSORS_STREAM);
    if (count === 0) {
      // Cursors are disabled: any broker gives the authoritative answer.
      return this.callAnyBroker(`${what} "${cursorId}"`, call);
    }
    const key = new TextEncoder().encode(`${cursorId},${stream},${partition}`);
    return this.callPartitionLeader(
      CURSORS_STREAM,
      partitionForKey(key, count),
      false,
      `${what} "${cursorId}" of stream "${stream}" partition ${partition}`,
      call,
    );
  }

  /** The partition's state from its leader, which alone knows the current high watermark. */
  async fetchPartitionMetadata(stream: string, partition: number): Promise<PartitionMetadata> {
    requireName("stream", stream);
    requireInteger("partition", partition, 0);
    const response = await this.callPartitionLeader(
      stream,
      partition,
      false,
      `fetch metadata of stream "${stream}" partition ${partition}`,
      (stub) =>
        stub.unary(
          "FetchPartitionMetadata",
          { stream, partition },
          { deadline: deadlineIn(this.requestTimeoutMs) },
        ),
    );
    if (!response.metadata) {
      throw new LbError(
        "internal",
        `stream "${stream}" partition ${partition}: no metadata returned`,
      );
    }
    return response.metadata;
  }

  // ------------------------------------------------------------------------------------------
  // Publishing

  /**
   * Publishes one message with the unary Publish call and waits for its ack (undefined with ack
   * policy "none"). For many messages, publisher() pipelines them.
   */
  async publish(
    stream: string,
    value: Bytes,
    options: PublishOptions = {},
  ): Promise<Ack | undefined> {
    // Like go-liftbridge, one message at a time still goes over the shared PublishAsync
    // stream: it skips a unary call's per-call setup and halves the latency here. Only an
    // explicit ackInbox needs the unary Publish RPC, which honours it.
    if (!options.ackInbox) {
      this.ensureOpen();
      this.sharedPublisher ??= this.publisher();
      return this.sharedPublisher.publish(stream, value, options);
    }
    const timeoutMs = requirePositiveTimeout(
      "timeoutMs",
      options.timeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    );
    const route = await this.routePublish(stream, options);
    const request = buildPublishRequest(
      stream,
      route.partition,
      value,
      options,
      options.correlationId || nextCorrelationId(),
    );
    const context = `publish to stream "${stream}" partition ${route.partition}`;
    try {
      // The server waits for the ack only when the call has a deadline.
      const response = await this.stub(route.address).unary("Publish", request, {
        deadline: deadlineIn(timeoutMs),
      });
      return checkedAck(response.ack, context);
    } catch (err) {
      throw this.publishFailure(err, context, timeoutMs);
    }
  }

  /** A pipelined publisher over one PublishAsync call per broker. Close it when done. */
  publisher(options: { timeoutMs?: number } = {}): AsyncPublisher {
    this.ensureOpen();
    const timeoutMs = requirePositiveTimeout(
      "timeoutMs",
      options.timeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    );
    const publisher = new AsyncPublisher(
      {
        route: (stream, publishOptions) => this.routePublish(stream, publishOptions),
        stub: (address) => this.stub(address),
        brokerFailed: () => this.refreshMetadataInBackground(),
        refresh: async (stream) => {
          if (this.closed) return;
          await this.refreshMetadata([stream]).catch(() => undefined);
        },
        closed: (closedPublisher) => this.publishers.delete(closedPublisher),
      },
      timeoutMs,
    );
    this.publishers.add(publisher);
    return publisher;
  }

  /** Publishes to a NATS subject: every stream attached to it stores the message. */
  async publishToSubject(
    subject: string,
    value: Bytes,
    options: PublishToSubjectOptions = {},
  ): Promise<Ack | undefined> {
    const timeoutMs = requirePositiveTimeout(
      "timeoutMs",
      options.timeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    );
    const request = buildPublishToSubjectRequest(subject, value, options);
    const context = `publish to subject "${subject}"`;
    try {
      const response = await this.stub(this.preferredAddress).unary("PublishToSubject", request, {
        deadline: deadlineIn(timeoutMs),
      });
      return checkedAck(response.ack, context);
    } catch (err) {
      throw this.publishFailure(err, context, timeoutMs);
    }
  }

  private publishFailure(err: unknown, context: string, timeoutMs: number): LbError {
    const failure = toLbError(err, context);
    if (failure.kind === "deadline_exceeded") {
      return failure.with({ message: `${context}: no ack within ${timeoutMs}ms` });
    }
    if (failure.kind === "unavailable") this.refreshMetadataInBackground();
    if (failure.kind === "not_found") return failure.with({ hint: NOT_FOUND_HINT });
    return failure;
  }

  private async routePublish(stream: string, options: PublishOptions): Promise<PublishRoute> {
    this.ensureOpen();
    requireName("stream", stream);
    let metadata = this.metadata;
    if (!metadata.stream(stream)) {
      const checkedAt = this.unknownStreamCheckedAt.get(stream) ?? 0;
      if (Date.now() - checkedAt >= UNKNOWN_STREAM_RECHECK_MS) {
        this.unknownStreamCheckedAt.set(stream, Date.now());
        metadata = await this.refreshMetadata([stream]).catch(() => metadata);
      }
    }
    const partition = this.choosePartition(stream, options, metadata);
    const leader = metadata.partition(stream, partition)?.leader;
    const address = (leader && metadata.broker(leader)?.address) || this.preferredAddress;
    return { partition, address };
  }

  private choosePartition(stream: string, options: PublishOptions, metadata: Metadata): number {
    if (options.partition !== undefined) return requireInteger("partition", options.partition, 0);
    const count = metadata.partitionCount(stream);
    switch (options.partitioner) {
      case undefined:
        return 0;
      case "key":
        return partitionForKey(options.key === undefined ? undefined : toBytes(options.key), count);
      case "round-robin":
        return this.roundRobin.next(stream, count);
      default:
        throw new LbError(
          "invalid_argument",
          `partitioner "${String(options.partitioner)}": expected key or round-robin`,
        );
    }
  }

  // ------------------------------------------------------------------------------------------
  // Subscribing

  /**
   * Subscribes to one partition. Resolves once the leader confirmed the subscription, so that
   * a missing stream or partition is reported here; then iterate the messages with for await.
   */
  async subscribe(stream: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.ensureOpen();
    const request = buildSubscribeRequest(stream, options);
    const partition = request.partition ?? 0;
    const readISRReplica = options.readISRReplica ?? false;
    const resubscribeWaitMs = options.resubscribeWaitMs ?? DEFAULT_RESUBSCRIBE_WAIT_MS;
    const context = `subscribe to stream "${stream}" partition ${partition}`;
    const open = (nextOffset: number | undefined) =>
      this.callPartitionLeader(stream, partition, readISRReplica, context, (stub) =>
        openSubscribeCall(
          stub,
          nextOffset === undefined ? request : resumeSubscribeRequest(request, nextOffset),
          context,
        ),
      );
    const first = await open(undefined);
    const subscription = new Subscription(
      stream,
      partition,
      first,
      open,
      resubscribeWaitMs,
      (ended) => this.subscriptions.delete(ended),
    );
    if (first) this.subscriptions.add(subscription);
    return subscription;
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Cancels subscriptions and publishers still open and closes every connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sharedPublisher = undefined;
    for (const subscription of this.subscriptions) subscription.cancel();
    for (const publisher of this.publishers) publisher.cancel();
    this.subscriptions.clear();
    this.publishers.clear();
    this.stubs.closeAll();
  }

  private ensureOpen(): void {
    if (this.closed) throw new LbError("failed_precondition", "the client is closed");
  }

  private stub(address: string): BrokerStub {
    this.ensureOpen();
    return this.stubs.get(address);
  }

  // ------------------------------------------------------------------------------------------
  // Routing and retries

  /** Moves on to the next known broker, in a stable order so that every broker gets a turn. */
  private rotatePreferredAddress(): void {
    const known = [...new Set([...this.metadata.addresses(), ...this.seedAddresses])];
    const next = (known.indexOf(this.preferredAddress) + 1) % known.length;
    this.preferredAddress = known[next]!;
  }

  /** Runs an admin call on some broker, moving to the next known one while they are unavailable. */
  private callAnyBroker<T>(context: string, call: (stub: BrokerStub) => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await call(this.stub(this.preferredAddress));
        } catch (err) {
          throw toLbError(err, context);
        }
      },
      {
        budget: this.retryBudget,
        shouldRetry: (err) => isLbError(err, "unavailable") && !this.closed,
        beforeRetry: async () => this.rotatePreferredAddress(),
      },
    );
  }

  /**
   * Runs a call on the partition's leader (or a random in-sync replica). When the broker says
   * our metadata is stale (not the leader, unknown partition, gone), refreshes it and retries.
   */
  private callPartitionLeader<T>(
    stream: string,
    partition: number,
    readISRReplica: boolean,
    context: string,
    call: (stub: BrokerStub) => Promise<T>,
  ): Promise<T> {
    return withRetry(
      async () => {
        const address = await this.addressForPartition(stream, partition, readISRReplica);
        try {
          return await call(this.stub(address));
        } catch (err) {
          throw toLbError(err, context);
        }
      },
      {
        budget: this.retryBudget,
        shouldRetry: (err) => isLbError(err) && err.staleMetadata && !this.closed,
        beforeRetry: async () => {
          await this.refreshMetadata([stream]).catch(() => undefined);
        },
      },
    ).catch((err: unknown) => {
      throw isLbError(err, "not_found") && !err.hint ? err.with({ hint: NOT_FOUND_HINT }) : err;
    });
  }

  private async addressForPartition(
    stream: string,
    partition: number,
    readISRReplica: boolean,
  ): Promise<string> {
    let metadata = this.metadata;
    if (!metadata.partition(stream, partition)) metadata = await this.refreshMetadata([stream]);
    const info = metadata.stream(stream);
    if (!info) {
      throw new LbError("not_found", `stream "${stream}" not found`, { hint: NOT_FOUND_HINT });
    }
    const partitionInfo = metadata.partition(stream, partition);
    if (!partitionInfo) {
      const count = info.partitions.length;
      throw new LbError(
        "not_found",
        `stream "${stream}" has no partition ${partition} (it has ${count}: 0 to ${count - 1})`,
        { hint: `see: lb describe ${stream}` },
      );
    }
    const candidates = readISRReplica ? partitionInfo.isr : [partitionInfo.leader];
    const chosen =
      candidates[Math.floor(Math.random() * candidates.length)] || partitionInfo.leader;
    const address = chosen ? metadata.broker(chosen)?.address : undefined;
    if (!address) {
      throw new LbError(
        "unavailable",
        `stream "${stream}" partition ${partition} has no reachable leader right now`,
        { retriable: true, staleMetadata: true },
      );
    }
    return address;
  }

  /**
   * Refreshes the cached metadata for `streams` (all when empty). Callers arriving while a
   * refresh that covers their streams is under way share it instead of asking again.
   */
  private async refreshMetadata(streams: string[]): Promise<Metadata> {
    const running = this.metadataRefresh;
    if (
      running &&
      (running.streams.length === 0 || streams.every((s) => running.streams.includes(s)))
    ) {
      await running.done;
      return this.metadata;
    }
    if (running) await running.done.catch(() => undefined);
    const done = this.fetchMetadata(streams).then(() => undefined);
    const refresh = { streams, done };
    this.metadataRefresh = refresh;
    try {
      await done;
    } finally {
      if (this.metadataRefresh === refresh) this.metadataRefresh = undefined;
    }
    return this.metadata;
  }

  private refreshMetadataInBackground(): void {
    if (this.closed || this.metadataRefresh) return;
    this.refreshMetadata([]).catch(() => undefined);
  }

  private forgetStream(name: string): void {
    this.unknownStreamCheckedAt.delete(name);
    if (this.metadata.stream(name)) {
      this.metadata = this.metadata.updatedWith(new Metadata(this.metadata.brokers, [], [name]), [
        name,
      ]);
    }
  }
}
