import http2 from "node:http2";
import type { ExecutionContext } from "ava";
import { encodeFrame, FrameDecoder } from "../../src/wire/grpc-frames.js";

/** A plain node:http2 connection to a broker, closed when the test ends. */
export function h2Connect(t: ExecutionContext, address: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => undefined);
  t.teardown(() => session.destroy());
  return session;
}

export interface GrpcStatus {
  code: number;
  message: string;
}

/**
 * One gRPC call as raw HTTP/2: `path` like "/proto.API/Publish", extra request headers (such as
 * grpc-timeout), and the messages the client sends. The request body ends after `requests`
 * unless `keepOpen`; `onMessage` sees each response message and may send more (`send`),
 * half-close (`end`) or cancel the call (`cancel`: the result's code is then -1).
 */
export function grpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  headers: http2.OutgoingHttpHeaders,
  requests: Uint8Array[],
  options: {
    keepOpen?: boolean;
    onMessage?: (
      message: Buffer,
      control: { send(m: Uint8Array): void; end(): void; cancel(): void },
    ) => void;
  } = {},
): Promise<GrpcStatus & { messages: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const messages: Buffer[] = [];
    let statusHeaders: http2.IncomingHttpHeaders | undefined;
    const decoder = new FrameDecoder();
    const control = {
      send: (m: Uint8Array) => stream.write(encodeFrame(m)),
      end: () => stream.end(),
      cancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
    };
    stream.on("response", (h) => {
      if (h["grpc-status"] !== undefined) statusHeaders = h;
    });
    stream.on("trailers", (h) => {
      statusHeaders = h;
    });
    stream.on("data", (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        messages.push(m);
        options.onMessage?.(m, control);
      }
    });
    stream.on("error", reject);
    stream.on("close", () => {
      if (!statusHeaders) {
        resolve({ code: -1, message: `stream closed (RST ${stream.rstCode})`, messages });
        return;
      }
      resolve({
        code: Number(statusHeaders["grpc-status"]),
        message: decodeURIComponent(String(statusHeaders["grpc-message"] ?? "")),
        messages,
      });
    });
    for (const request of requests) stream.write(encodeFrame(request));
    if (!options.keepOpen) stream.end();
  });
}
