import { encodeFrame } from "../../wire/grpc-frames.js";
import { type CallOptions, Http2Call } from "./call.js";
import type { Http2Connection } from "./connection.js";
import { CallError, Code } from "./status.js";

/** A unary call: the framed request in one write with end of stream, one response message. */
export function unaryCall<Res>(
  connection: Http2Connection,
  path: string,
  serialize: () => Uint8Array,
  deserialize: (payload: Buffer) => Res,
  options: CallOptions,
): Promise<Res> {
  let request: Buffer;
  try {
    request = encodeFrame(serialize());
  } catch (err) {
    const details = `Request message serialization failure: ${(err as Error).message}`;
    return Promise.reject(new CallError({ code: Code.INTERNAL, details }));
  }
  return new Promise((resolve, reject) => {
    let response: Buffer | undefined;
    const call = new Http2Call(
      connection,
      path,
      {
        onMessage: (payload) => {
          response ??= payload;
        },
        onStatus: (status) => {
          if (status.code !== Code.OK) return reject(new CallError(status));
          if (!response) {
            return reject(new CallError({ code: Code.INTERNAL, details: "No message received" }));
          }
          try {
            resolve(deserialize(response));
          } catch (err) {
            const details = `Response message parsing error: ${(err as Error).message}`;
            reject(new CallError({ code: Code.INTERNAL, details }));
          }
        },
      },
      options,
    );
    call.end(request);
  });
}
