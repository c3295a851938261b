import test from "ava";
import { compileFormat } from "../../src/cli/record-format.js";
import { formatDurationMs } from "../../src/cli/stream-settings.js";
import { similarCommands, unknownCommandMessage } from "../../src/cli/suggest.js";
import { UsageError } from "../../src/cli/usage-error.js";
import type { Message } from "../../src/client/index.js";

const message = {
  stream: "orders",
  partition: 2,
  offset: 42,
  key: Buffer.from("c-17"),
  value: Buffer.from([0x68, 0x69, 0xff]),
  timestamp: 1_767_607_200_123_456_789n,
  subject: "orders.eu",
  headers: { a: Buffer.from("1"), b: Buffer.from("x=y") },
} as unknown as Message;

test("format tokens print fields; values stay raw bytes unless encoded", (t) => {
  const out = compileFormat("%t %p %o %k %K %S %s %d %T %h|%v|%v{hex}|%k{base64}%%\\t\\n")(message);
  t.deepEqual(
    out,
    Buffer.concat([
      Buffer.from(
        "orders 2 42 c-17 4 3 orders.eu 1767607200123456789 2026-01-05T10:00:00.123456789Z a=1,b=x=y|",
      ),
      Buffer.from([0x68, 0x69, 0xff]),
      Buffer.from("|6869ff|Yy0xNw==%\t\n"),
    ]),
  );
});

test("an unknown token is a usage error naming it", (t) => {
  t.throws(() => compileFormat("%v %z"), {
    instanceOf: UsageError,
    message: /--format "%v %z": unknown token "%z"/,
  });
  t.throws(() => compileFormat("%"), { instanceOf: UsageError });
});

test("durations print the Go way", (t) => {
  t.is(formatDurationMs(0), "0");
  t.is(formatDurationMs(500), "500ms");
  t.is(formatDurationMs(90_000), "1m30s");
  t.is(formatDurationMs(86_400_000), "24h");
});

test("did you mean: the nearest commands, by the words that were typed", (t) => {
  const known = ["pub", "sub", "stream:create", "stream:delete", "stream", "describe"];
  t.deepEqual(similarCommands("pbu", known), ["pub"]);
  t.is(unknownCommandMessage("pbu", known), 'unknown command "pbu" (did you mean: lb pub?)');
  t.is(
    unknownCommandMessage("stream:craete:orders", known),
    'unknown command "stream craete" (did you mean: lb stream create?)',
  );
  t.is(unknownCommandMessage("xyzzy", known), 'unknown command "xyzzy" (see: lb --help)');
});
