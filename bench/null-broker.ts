/**
 * A broker that does nothing: it answers FetchMetadata with itself as the leader of partition 0
 * of any stream asked for, and acks every PublishAsync request at once without storing it. The
 * (a) scenario drives it with the same client as lb, so that the row shows how fast the client
 * alone can go. Run as a child process (startNullBrokerProcess); it prints its address the way
 * `lb serve` does ("lb ready on HOST:PORT, ...") and serves until SIGTERM.
 */

import type { CallHandler, DuplexCall, UnaryCallback } from "../src/server/grpc/calls.js";
import { Http2GrpcServer } from "../src/server/grpc/http2-server.js";
import {
  type Ack,
  AckError,
  type FetchMetadataRequest,
  type FetchMetadataResponse,
  type PublishRequest,
  type PublishResponse,
  StreamMetadataError,
} from "../src/wire/api.js";
import { apiServerDefinition } from "../src/wire/service.js";

const BROKER_ID = "null";
const HOST = "127.0.0.1";

const server = new Http2GrpcServer();
let port = 0;

const fetchMetadata = (
  call: { request: FetchMetadataRequest },
  callback: UnaryCallback<FetchMetadataResponse>,
) => {
  const partition = {
    id: 0,
    leader: BROKER_ID,
    replicas: [BROKER_ID],
    isr: [BROKER_ID],
    highWatermark: -1,
    newestOffset: -1,
    paused: false,
    readonly: false,
  };
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

const publishAsync = (call: DuplexCall<PublishResponse>) => {
  let offset = 0;
  call.on("data", (req: PublishRequest) => {
    const ack: Ack = {
      stream: req.stream,
      partitionSubject: req.stream,
      msgSubject: req.stream,
      offset: offset++,
      ackInbox: "",
      correlationId: req.correlationId,
      ackPolicy: req.ackPolicy,
      receptionTimestamp: 0n,
      commitTimestamp: 0n,
      ackError: AckError.OK,
    };
    call.write({ correlationId: req.correlationId, ack, asyncError: undefined });
  });
  call.on("end", () => call.end());
};

server.addService(apiServerDefinition, {
  FetchMetadata: fetchMetadata as CallHandler,
  PublishAsync: publishAsync as CallHandler,
});
port = await server.listen(HOST, 0);
process.stderr.write(`lb ready on ${HOST}:${port}, a null broker (acks without storing)\n`);
process.once("SIGTERM", () => {
  server.forceShutdown();
  process.exit(0);
});
