import type http2 from "node:http2";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  AckPolicy,
  encodePublishRequest,
  encodePublishToSubjectRequest,
} from "../../src/wire/api.js";
import { grpcCall } from "./h2-grpc.js";

export type PublishMethod = "Publish" | "PublishToSubject";

/** A full garbage collection, available without --expose-gc. */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) {
    exposed();
    return;
  }
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

export interface Retention {
  calls: number;
  /** Heap after GC once `warmup` calls were done, and after all of them. */
  heapAtWarmup: number;
  heapAtEnd: number;
  /** (heapAtEnd - heapAtWarmup) / (calls - warmup) */
  bytesPerCall: number;
}

/**
 * Drives `calls` unary Publish or PublishToSubject calls with ack policy LEADER to stream `stream`
 * (subject `stream`) over one HTTP/2 connection, `concurrency` at a time, and measures the heap of
 * this process (where the broker runs) after GC at `warmup` calls and at the end.
 */
export async function measurePublishRetention(
  session: http2.ClientHttp2Session,
  options: {
    method: PublishMethod;
    stream: string;
    calls: number;
    warmup: number;
    concurrency?: number;
  },
): Promise<Retention> {
  const { method, stream, calls, warmup, concurrency = 32 } = options;
  const value = new TextEncoder().encode("x");
  const body =
    method === "Publish"
      ? encodePublishRequest({ stream, value, ackPolicy: AckPolicy.LEADER })
      : encodePublishToSubjectRequest({ subject: stream, value, ackPolicy: AckPolicy.LEADER });
  const run = async (count: number) => {
    let started = 0;
    const worker = async () => {
      while (started < count) {
        started++;
        const result = await grpcCall(session, `/proto.API/${method}`, {}, [body]);
        if (result.code !== 0)
          throw new Error(`${method} failed: ${result.code} ${result.message}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await run(warmup);
  const heapAtWarmup = heapAfterGc();
  await run(calls - warmup);
  const heapAtEnd = heapAfterGc();
  return {
    calls,
    heapAtWarmup,
    heapAtEnd,
    bytesPerCall: (heapAtEnd - heapAtWarmup) / (calls - warmup),
  };
}
