import { status } from "@grpc/grpc-js";
import { AckError, type PublishAsyncError, PublishAsyncErrorCode } from "../wire/api.js";

export type LbErrorKind =
  | "not_found"
  | "already_exists"
  | "invalid_argument"
  | "unavailable"
  | "deadline_exceeded"
  | "failed_precondition"
  | "resource_exhausted"
  | "permission_denied"
  | "unimplemented"
  | "cancelled"
  /** Stored records are damaged: retrying reads the same damage. */
  | "data_loss"
  | "internal";

interface ErrorKindRule {
  kind: LbErrorKind;
  /** Trying the same request again later may succeed. */
  retriable: boolean;
  /**
   * The error may mean the client's view of the cluster is out of date (the broker is not the
   * partition leader any more, or has not yet learned of a new stream): refresh metadata and retry.
   */
  staleMetadata: boolean;
}

/**
 * The one table from gRPC status codes (DESIGN §1 makes them part of the contract) to what the
 * client does about them. Codes missing from the table are treated as internal errors.
 */
const GRPC_STATUS_RULES: ReadonlyMap<status, ErrorKindRule> = new Map([
  [status.NOT_FOUND, { kind: "not_found", retriable: false, staleMetadata: true }],
  [status.ALREADY_EXISTS, { kind: "already_exists", retriable: false, staleMetadata: false }],
  [status.INVALID_ARGUMENT, { kind: "invalid_argument", retriable: false, staleMetadata: false }],
  [status.UNAVAILABLE, { kind: "unavailable", retriable: true, staleMetadata: true }],
  [status.DEADLINE_EXCEEDED, { kind: "deadline_exceeded", retriable: true, staleMetadata: false }],
  [
    status.FAILED_PRECONDITION,
    { kind: "failed_precondition", retriable: true, staleMetadata: true },
  ],
  [
    status.RESOURCE_EXHAUSTED,
    { kind: "resource_exhausted", retriable: false, staleMetadata: false },
  ],
  [status.PERMISSION_DENIED, { kind: "permission_denied", retriable: false, staleMetadata: false }],
  [status.UNAUTHENTICATED, { kind: "permission_denied", retriable: false, staleMetadata: false }],
  [status.UNIMPLEMENTED, { kind: "unimplemented", retriable: false, staleMetadata: false }],
  [status.CANCELLED, { kind: "cancelled", retriable: false, staleMetadata: false }],
  [status.DATA_LOSS, { kind: "data_loss", retriable: false, staleMetadata: false }],
]);

const INTERNAL_RULE: ErrorKindRule = { kind: "internal", retriable: false, staleMetadata: false };

export interface LbErrorOptions {
  retriable?: boolean;
  staleMetadata?: boolean;
  /** The gRPC status code the server answered with, when the error came from a call. */
  grpcCode?: status;
  /** What the user can do next, e.g. "see: lb stream list". */
  hint?: string;
  cause?: unknown;
}

/** Every failure the client reports: a kind to branch on and a message for people. */
export class LbError extends Error {
  readonly kind: LbErrorKind;
  readonly retriable: boolean;
  readonly staleMetadata: boolean;
  readonly grpcCode: status | undefined;
  readonly hint: string | undefined;

  constructor(kind: LbErrorKind, message: string, options: LbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LbError";
    this.kind = kind;
    this.retriable = options.retriable ?? false;
    this.staleMetadata = options.staleMetadata ?? false;
    this.grpcCode = options.grpcCode;
    this.hint = options.hint;
  }

  /** A copy with a different message or hint, keeping kind, flags and cause. */
  with(changes: { message?: string; hint?: string }): LbError {
    return new LbError(this.kind, changes.message ?? this.message, {
      retriable: this.retriable,
      staleMetadata: this.staleMetadata,
      grpcCode: this.grpcCode,
      hint: changes.hint ?? this.hint,
      cause: this.cause,
    });
  }
}

export function ruleForStatus(code: status): ErrorKindRule {
  return GRPC_STATUS_RULES.get(code) ?? INTERNAL_RULE;
}

interface GrpcLikeError {
  code: number;
  details?: string;
  message: string;
}

function isGrpcError(err: unknown): err is GrpcLikeError {
  return (
    err instanceof Error &&
    typeof (err as Partial<GrpcLikeError>).code === "number" &&
    "details" in err
  );
}

/**
 * Converts anything thrown by a gRPC call into an LbError. `context` names the operation
 * ("create stream \"orders\""); the server's own words follow it.
 */
export function toLbError(err: unknown, context?: string): LbError {
  if (err instanceof LbError) return err;
  if (isGrpcError(err)) {
    const rule = ruleForStatus(err.code);
    const details = err.details || status[err.code] || err.message;
    return new LbError(rule.kind, context ? `${context}: ${details}` : details, {
      retriable: rule.retriable,
      staleMetadata: rule.staleMetadata,
      grpcCode: err.code,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LbError("internal", context ? `${context}: ${message}` : message, { cause: err });
}

export function isLbError(err: unknown, kind?: LbErrorKind): err is LbError {
  return err instanceof LbError && (kind === undefined || err.kind === kind);
}

/** PublishAsync reports failures per message in PublishResponse.asyncError; never stale metadata. */
const ASYNC_ERROR_KINDS: ReadonlyMap<number, LbErrorKind> = new Map<number, LbErrorKind>([
  [PublishAsyncErrorCode.BAD_REQUEST, "invalid_argument"],
  [PublishAsyncErrorCode.NOT_FOUND, "not_found"],
  [PublishAsyncErrorCode.INTERNAL, "internal"],
  [PublishAsyncErrorCode.READONLY, "failed_precondition"],
  [PublishAsyncErrorCode.INCORRECT_OFFSET, "failed_precondition"],
  [PublishAsyncErrorCode.ENCRYPTION_FAILED, "internal"],
  [PublishAsyncErrorCode.PERMISSION_DENIED, "permission_denied"],
]);

export function asyncErrorToLbError(error: PublishAsyncError, context: string): LbError {
  const kind = ASYNC_ERROR_KINDS.get(error.code) ?? "internal";
  const details = error.message || `publish failed with code ${error.code}`;
  return new LbError(kind, `${context}: ${details}`);
}

const ACK_ERROR_MESSAGES: ReadonlyMap<number, [LbErrorKind, string]> = new Map<
  number,
  [LbErrorKind, string]
>([
  [AckError.UNKNOWN, ["internal", "the broker rejected the message"]],
  [AckError.INCORRECT_OFFSET, ["failed_precondition", "incorrect expected offset"]],
  [AckError.TOO_LARGE, ["resource_exhausted", "message too large"]],
  [AckError.ENCRYPTION, ["internal", "encryption failed on the partition"]],
]);

/** An ack whose ackError is not OK, as an LbError; undefined for OK. */
export function ackErrorToLbError(code: AckError, context: string): LbError | undefined {
  if (code === AckError.OK) return undefined;
  const [kind, message] = ACK_ERROR_MESSAGES.get(code) ?? ["internal", `ack error ${code}`];
  return new LbError(kind, `${context}: ${message}`);
}
