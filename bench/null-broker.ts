/**
 * A broker that does nothing: it answers FetchMetadata with itself as the leader of partition 0
 * of any stream asked for, acks every Publish and PublishAsync request at once without storing
 * it (FetchPartitionMetadata reports how many it acked, over all streams, as the high watermark
 * + 1, so the benchmark can divide its CPU time by them), and serves every Subscribe `--replay-count` synthetic messages of `--size` bytes (after
 * the empty handshake lb sends), then keeps the stream open until the client cancels. The
 * scenarios drive it with the same client as lb, so that its row shows how fast the client
 * alone can go. Run as a child process (startNullBrokerProcess); it prints its address the way
 * `lb serve` does ("lb ready on HOST:PORT, ...") and serves until SIGTERM.
 *
 *   node dist/bench/null-broker.js [--replay-count N] [--size BYTES]
 */

import type {
  CallHandler,
  DuplexCall,
  ServerStreamCall,
  UnaryCall,
  UnaryCallback,
} from "../src/server/grpc/calls.js";
import { Http2GrpcServer } from "../src/server/grpc/http2-server.js";
import {
  type Ack,
  AckError,
  encodeMessage,
  type FetchMetadataRequest,
  type FetchMetadataResponse,
  type FetchPartitionMetadataRequest,
  type FetchPartitionMetadataResponse,
  type PartitionMetadata,
  type PublishRequest,
  type PublishResponse,
  StreamMetadataError,
  type SubscribeRequest,
} from "../src/wire/api.js";
import { apiServerDefinition } from "../src/wire/service.js";

const BROKER_ID = "null";
const HOST = "127.0.0.1";
/** Messages encoded per event-loop turn while replaying, so a cancel is seen between batches. */
const REPLAY_BATCH = 1000;

function parseFlags(argv: readonly string[]): { replayCount: number; size: number } {
  const flags = { replayCount: 0, size: 100 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`null-broker: ${name} is "${value}", expected a non-negative integer`);
    }
    if (name === "--replay-count") flags.replayCount = n;
    else if (name === "--size") flags.size = n;
    else throw new Error(`null-broker: unknown flag "${name}" (expected --replay-count, --size)`);
  }
  return flags;
}

const { replayCount, size } = parseFlags(process.argv.slice(2));
const value = new Uint8Array(size).fill(97);
const server = new Http2GrpcServer();
let port = 0;
let nextOffset = 0;

const partitionMetadata = (): PartitionMetadata => ({
  id: 0,
  leader: BROKER_ID,
  replicas: [BROKER_ID],
  isr: [BROKER_ID],
  highWatermark: nextOffset - 1,
  newestOffset: nextOffset - 1,
  paused: false,
  readonly: false,
});

const fetchPartitionMetadata = (
  _call: { request: FetchPartitionMetadataRequest },
  callback: UnaryCallback<FetchPartitionMetadataResponse>,
) => {
  callback(null, { metadata: partitionMetadata() });
};

const fetchMetadata = (
  call: { request: FetchMetadataRequest },
  callback: UnaryCallback<FetchMetadataResponse>,
) => {
  const partition = partitionMetadata();
  callback(null, {
    brokers: [{ id: BROKER_ID, host: HOST, port, partitionCount: 0, leaderCount: 0 }],
    streamMetadata: call.request.streams.map((name) => ({
      name,
      subject: name,
      error: StreamMetadataError.OK,
      partitions: { 0: partition },
      creationTimestamp: 0n,
    })),
    groupMetadata: [],
  });
};

function ackFor(req: PublishRequest): Ack {
  return {
    stream: req.stream,
    partitionSubject: req.stream,
    msgSubject: req.stream,
    offset: nextOffset++,
    ackInbox: req.ackInbox,
    correlationId: req.correlationId,
    ackPolicy: req.ackPolicy,
    receptionTimestamp: 0n,
    commitTimestamp: 0n,
    ackError: AckError.OK,
  };
}

const publish = (call: UnaryCall<PublishRequest>, callback: UnaryCallback<PublishResponse>) => {
  callback(null, { ack: ackFor(call.request), correlationId: call.request.correlationId });
};

const publishAsync = (call: DuplexCall<PublishResponse>) => {
  call.on("data", (req: PublishRequest) => {
    call.write({ correlationId: req.correlationId, ack: ackFor(req), asyncError: undefined });
  });
  call.on("end", () => call.end());
};

/** The handshake, then `replayCount` messages, honouring backpressure; then it stays open. */
const subscribe = (call: ServerStreamCall<SubscribeRequest, Uint8Array>) => {
  let cancelled = false;
  call.on("cancelled", () => {
    cancelled = true;
  });
  call.on("error", () => {
    cancelled = true;
  });
  const { stream, partition } = call.request;
  let offset = 0;
  const writeSome = () => {
    while (!cancelled && offset < replayCount) {
      const upTo = Math.min(replayCount, offset + REPLAY_BATCH);
      let more = true;
      for (; offset < upTo; offset++) {
        more = call.write(
          encodeMessage({ offset, value, stream, partition, timestamp: BigInt(offset) }),
        );
      }
      if (!more) {
        call.on("drain", function resume() {
          call.off("drain", resume);
          writeSome();
        });
        return;
      }
      if (offset < replayCount) {
        setImmediate(writeSome);
        return;
      }
    }
  };
  call.write(Buffer.alloc(0));
  writeSome();
};

server.addService(apiServerDefinition, {
  FetchMetadata: fetchMetadata as CallHandler,
  FetchPartitionMetadata: fetchPartitionMetadata as CallHandler,
  Publish: publish as CallHandler,
  PublishAsync: publishAsync as CallHandler,
  Subscribe: subscribe as CallHandler,
});
port = await server.listen(HOST, 0);
process.stderr.write(`lb ready on ${HOST}:${port}, a null broker (acks without storing)\n`);
process.once("SIGTERM", () => {
  server.forceShutdown();
  process.exit(0);
});
