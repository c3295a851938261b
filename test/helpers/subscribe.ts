import type { ServiceError } from "@grpc/grpc-js";
import type { Message, MessageInit, SubscribeRequest } from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";

export interface SubscribeResult {
  /** Messages after the handshake. */
  messages: Message[];
  /** Whether the empty handshake message arrived first. */
  handshake: boolean;
  /** The status the call ended with (0 = OK), or undefined if it was still open. */
  code?: number;
  details?: string;
}

/**
 * Subscribes through the raw client and collects messages until `count` have arrived (then
 * cancels) or the server ends the call.
 */
export function collect(
  client: ApiClient,
  req: MessageInit<SubscribeRequest>,
  count = Number.POSITIVE_INFINITY,
  timeoutMs = 15_000,
): Promise<SubscribeResult> {
  return open(client, req, count, timeoutMs).done;
}

/** Like collect, plus `ready`, which resolves when the handshake arrives (the subscription exists). */
export function open(
  client: ApiClient,
  req: MessageInit<SubscribeRequest>,
  count = Number.POSITIVE_INFINITY,
  timeoutMs = 15_000,
): { ready: Promise<void>; done: Promise<SubscribeResult> } {
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const done = new Promise<SubscribeResult>((resolve, reject) => {
    const result: SubscribeResult = { messages: [], handshake: false };
    let seenFirst = false;
    const stream = client.subscribe(req);
    const timer = setTimeout(() => {
      stream.cancel();
      reject(
        new Error(
          `subscription got ${result.messages.length} of ${count} messages in ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      onReady();
      resolve(result);
    };
    stream.on("data", (msg: Message) => {
      if (!seenFirst) {
        seenFirst = true;
        result.handshake = msg.offset === 0 && msg.value.length === 0 && msg.stream === "";
        onReady();
        if (result.handshake) return;
      }
      result.messages.push(msg);
      if (result.messages.length >= count) {
        stream.cancel();
        finish();
      }
    });
    stream.on("error", (err: ServiceError) => {
      result.code = err.code;
      result.details = err.details;
      finish();
    });
    stream.on("end", () => {
      result.code ??= 0;
      finish();
    });
  });
  return { ready, done };
}
