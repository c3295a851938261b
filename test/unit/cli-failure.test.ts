import { status } from "@grpc/grpc-js";
import { Errors } from "@oclif/core";
import test from "ava";
import { describeFailure, EXIT_FAILURE, EXIT_USAGE } from "../../src/cli/failure.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { LbError } from "../../src/client/index.js";

test("usage errors exit 2 and point at the command's help", (t) => {
  t.like(describeFailure(new UsageError('--timeout "5x": unknown unit "x"'), "pub"), {
    message: '--timeout "5x": unknown unit "x" (see: lb pub --help)',
    exitCode: EXIT_USAGE,
  });
  t.like(describeFailure(new UsageError("refusing to delete", "pass --yes"), "stream:delete"), {
    message: "refusing to delete (pass --yes)",
    exitCode: EXIT_USAGE,
  });
});

test("server-side failures exit 1 with their own hint", (t) => {
  const notFound = new LbError("not_found", 'stream "ordrs" not found', {
    grpcCode: status.NOT_FOUND,
    hint: "see: lb stream list",
  });
  t.like(describeFailure(notFound, "sub"), {
    message: 'stream "ordrs" not found (see: lb stream list)',
    exitCode: EXIT_FAILURE,
  });
  const rejected = new LbError("invalid_argument", 'create stream "__cursors": reserved name', {
    grpcCode: status.INVALID_ARGUMENT,
  });
  t.is(describeFailure(rejected, "stream:create").exitCode, EXIT_FAILURE);
});

test("input the client refused before sending anything is a usage error", (t) => {
  const failure = describeFailure(
    new LbError("invalid_argument", '--address "foo": expected HOST:PORT'),
    "stream:list",
  );
  t.like(failure, {
    message: '--address "foo": expected HOST:PORT (see: lb stream list --help)',
    exitCode: EXIT_USAGE,
  });
});

test("oclif's multi-line parse errors fold into one line and keep exit 2", (t) => {
  const parsing = new Errors.CLIError(
    "Parsing --partitions \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help",
  );
  t.like(describeFailure(parsing, "stream:create"), {
    message:
      "--partitions: Expected an integer greater than or equal to 1 but received: 0 (see: lb stream create --help)",
    exitCode: EXIT_USAGE,
  });
  const missing = Object.assign(
    new Errors.CLIError(
      "Missing 1 required arg:\nname  Name of the stream\nSee more help with --help",
    ),
    { args: [{ name: "name" }] },
  );
  t.is(
    describeFailure(missing, "stream:create").message,
    "missing argument NAME (see: lb stream create --help)",
  );
  const exclusive = new Errors.CLIError(
    "The following errors occurred:\n  \u001b[2m--latest=true cannot also be provided when using --offset\n--offset=1 cannot also be provided when using --latest\u001b[22m\nSee more help with --help",
  );
  t.is(
    describeFailure(exclusive, "sub").message,
    "--latest=true cannot also be provided when using --offset (see: lb sub --help)",
  );
});

test("unexpected errors exit 1 and suggest --debug", (t) => {
  t.like(describeFailure(new TypeError("x is undefined"), "describe"), {
    message: "x is undefined (run with --debug for details)",
    exitCode: EXIT_FAILURE,
  });
});
