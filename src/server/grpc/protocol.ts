import type { OutgoingHttpHeaders } from "node:http2";

/** Response headers of every gRPC response, as grpc-js sends them. We accept only identity. */
export const RESPONSE_HEADERS: OutgoingHttpHeaders = {
  ":status": 200,
  "content-type": "application/grpc+proto",
  "grpc-accept-encoding": "identity",
  "grpc-encoding": "identity",
};

/**
 * `grpc-message` encoding from the gRPC HTTP/2 spec: UTF-8 bytes outside printable ASCII, and
 * `%` itself, become `%XX`. grpc-js clients decode with decodeURI, grpcio and grpc-go per spec.
 */
export function percentEncode(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}

const TIMEOUT = /^(\d{1,8})\s*([HMSmun])$/;
const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** Milliseconds in a `grpc-timeout` value, or undefined when it is malformed. */
export function parseTimeout(value: string): number | undefined {
  const match = TIMEOUT.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** A trailers-only response (an error before any message) carries these with its status. */
export const TRAILERS_ONLY_HEADERS: OutgoingHttpHeaders = {
  ":status": 200,
  "content-type": "application/grpc+proto",
};
