import { Metadata as GrpcMetadata, status } from "@grpc/grpc-js";
import test from "ava";
import {
  ackErrorToLbError,
  asyncErrorToLbError,
  ruleForStatus,
  toLbError,
} from "../../src/client/errors.js";
import { LbError } from "../../src/client/index.js";
import { AckError, PublishAsyncErrorCode } from "../../src/wire/api.js";

function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new GrpcMetadata(),
  });
}

test("each gRPC status of the contract maps to one kind with its retry rules", (t) => {
  const table = [
    [status.NOT_FOUND, "not_found", false, true],
    [status.ALREADY_EXISTS, "already_exists", false, false],
    [status.INVALID_ARGUMENT, "invalid_argument", false, false],
    [status.UNAVAILABLE, "unavailable", true, true],
    [status.DEADLINE_EXCEEDED, "deadline_exceeded", true, false],
    [status.FAILED_PRECONDITION, "failed_precondition", true, true],
    [status.RESOURCE_EXHAUSTED, "resource_exhausted", false, false],
    [status.PERMISSION_DENIED, "permission_denied", false, false],
    [status.UNIMPLEMENTED, "unimplemented", false, false],
    [status.DATA_LOSS, "data_loss", false, false],
    [status.INTERNAL, "internal", false, false],
    [status.UNKNOWN, "internal", false, false],
  ] as const;
  for (const [code, kind, retriable, staleMetadata] of table) {
    t.deepEqual(ruleForStatus(code), { kind, retriable, staleMetadata }, status[code]);
  }
});

test("gRPC errors become LbErrors carrying the server's words after the operation", (t) => {
  const err = toLbError(grpcError(status.NOT_FOUND, "no such stream: x"), 'delete stream "x"');
  t.true(err instanceof LbError);
  t.is(err.kind, "not_found");
  t.is(err.message, 'delete stream "x": no such stream: x');
  t.is(err.grpcCode, status.NOT_FOUND);
  t.true(err.staleMetadata);
  t.is(toLbError(err), err);
});

test("anything else thrown becomes an internal LbError", (t) => {
  const err = toLbError(new RangeError("boom"), "fetch metadata");
  t.is(err.kind, "internal");
  t.is(err.message, "fetch metadata: boom");
  t.is(err.grpcCode, undefined);
});

test("with() changes message or hint and keeps the rest", (t) => {
  const original = toLbError(grpcError(status.ALREADY_EXISTS, "stream exists"));
  const changed = original.with({
    message: 'stream "x" already exists',
    hint: "use --if-not-exists",
  });
  t.is(changed.kind, "already_exists");
  t.is(changed.grpcCode, status.ALREADY_EXISTS);
  t.is(changed.hint, "use --if-not-exists");
  t.is(changed.cause, original.cause);
});

test("PublishAsync errors map to kinds and are never stale metadata", (t) => {
  const table = [
    [PublishAsyncErrorCode.NOT_FOUND, "not_found"],
    [PublishAsyncErrorCode.BAD_REQUEST, "invalid_argument"],
    [PublishAsyncErrorCode.READONLY, "failed_precondition"],
    [PublishAsyncErrorCode.INCORRECT_OFFSET, "failed_precondition"],
    [PublishAsyncErrorCode.PERMISSION_DENIED, "permission_denied"],
    [PublishAsyncErrorCode.ENCRYPTION_FAILED, "internal"],
    [PublishAsyncErrorCode.INTERNAL, "internal"],
    [PublishAsyncErrorCode.UNKNOWN, "internal"],
  ] as const;
  for (const [code, kind] of table) {
    const err = asyncErrorToLbError({ code, message: "why" }, "publish 1");
    t.is(err.kind, kind);
    t.is(err.message, "publish 1: why");
    t.false(err.staleMetadata);
  }
});

test("an ack error other than OK is a failure", (t) => {
  t.is(ackErrorToLbError(AckError.OK, "publish 1"), undefined);
  t.is(
    ackErrorToLbError(AckError.INCORRECT_OFFSET, "publish 1")?.message,
    "publish 1: incorrect expected offset",
  );
  t.is(ackErrorToLbError(AckError.TOO_LARGE, "publish 1")?.kind, "resource_exhausted");
});
