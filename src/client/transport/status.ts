import type { IncomingHttpHeaders } from "node:http2";

/** gRPC status codes (the numbers are the protocol's; grpc-js's `status` enum has the same). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const CODE_NAMES: readonly string[] = Object.keys(Code);

/** How a call ended, as grpc-js reports it in its 'status' event. */
export interface CallStatus {
  code: number;
  details: string;
  metadata?: Record<string, string | string[] | undefined>;
}

/**
 * A failed call, shaped like grpc-js's ServiceError ({code, details, metadata}) so that
 * errors.ts maps both transports' failures the same way.
 */
export class CallError extends Error {
  readonly code: number;
  readonly details: string;
  readonly metadata: Record<string, string | string[] | undefined>;

  constructor(end: CallStatus) {
    super(`${end.code} ${CODE_NAMES[end.code] ?? "UNKNOWN"}: ${end.details}`);
    this.name = "CallError";
    this.code = end.code;
    this.details = end.details;
    this.metadata = end.metadata ?? {};
  }
}

/** grpc-message is percent-encoded UTF-8; a malformed one is shown as received. */
export function decodeGrpcMessage(raw: string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The status in trailers (or in trailers-only response headers); undefined when absent. */
export function statusFromHeaders(headers: IncomingHttpHeaders): CallStatus | undefined {
  const raw = headers["grpc-status"];
  if (raw === undefined) return undefined;
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  const message = headers["grpc-message"];
  return {
    code: Number.isInteger(code) && code >= 0 && code <= 16 ? code : Code.UNKNOWN,
    details: decodeGrpcMessage(Array.isArray(message) ? message.join(",") : (message ?? "")),
    metadata: headers,
  };
}

/** The gRPC code for a non-200 HTTP status, as the gRPC HTTP/2 mapping says. */
export function codeForHttpStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

/** grpc-timeout: at most 8 digits and a unit. */
export function encodeTimeout(ms: number): string {
  const millis = Math.max(1, Math.ceil(ms));
  if (millis < 1e8) return `${millis}m`;
  const seconds = Math.ceil(millis / 1000);
  if (seconds < 1e8) return `${seconds}S`;
  return `${Math.min(99_999_999, Math.ceil(seconds / 3600))}H`;
}
