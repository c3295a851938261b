import test from "ava";
import {
  type Ack,
  AckError,
  AckPolicy,
  decodePublishResponse,
  encodePublishResponse,
  type PublishResponse,
} from "../../src/wire/api.js";
import { encodePublishResponseFast } from "../../src/wire/publish-response-codec.js";

const ack = (over: Partial<Ack> = {}): Ack => ({
  stream: "orders",
  partitionSubject: "orders.sub",
  msgSubject: "orders.sub.3",
  offset: 41,
  ackInbox: "_INBOX.lb.a1.b2.c3",
  correlationId: "8f3a-17",
  ackPolicy: AckPolicy.ALL,
  receptionTimestamp: 1_733_000_000_123_456_789n,
  commitTimestamp: 1_733_000_000_123_999_999n,
  ackError: AckError.OK,
  ...over,
});

const cases: [string, PublishResponse][] = [
  ["an ack", { ack: ack(), asyncError: undefined, correlationId: "8f3a-17" }],
  ["empty", { ack: undefined, asyncError: undefined, correlationId: "" }],
  [
    "an empty ack",
    {
      ack: ack({
        stream: "",
        partitionSubject: "",
        msgSubject: "",
        offset: 0,
        ackInbox: "",
        correlationId: "",
        ackPolicy: AckPolicy.LEADER,
        receptionTimestamp: 0n,
        commitTimestamp: 0n,
      }),
      asyncError: undefined,
      correlationId: "",
    },
  ],
  [
    "offset -1 and an error",
    {
      ack: ack({ offset: -1, ackError: AckError.INCORRECT_OFFSET }),
      asyncError: undefined,
      correlationId: "x",
    },
  ],
  [
    "large offsets",
    { ack: ack({ offset: 2 ** 53 - 1 }), asyncError: undefined, correlationId: "y" },
  ],
  [
    "offsets past 32 bits",
    {
      ack: ack({ offset: 2 ** 32 + 7, receptionTimestamp: 1n, commitTimestamp: (1n << 63n) - 1n }),
      asyncError: undefined,
      correlationId: "z",
    },
  ],
  [
    "a negative timestamp",
    { ack: ack({ receptionTimestamp: -5n }), asyncError: undefined, correlationId: "n" },
  ],
  [
    "an async error",
    {
      ack: ack({ stream: "", offset: 0 }),
      asyncError: { code: 3, message: "no such stream: ünïcödé ✓ 🚀" },
      correlationId: "bad",
    },
  ],
  [
    "long strings",
    {
      ack: ack({ stream: "s".repeat(300), correlationId: "c".repeat(20_000) }),
      asyncError: undefined,
      correlationId: "c".repeat(20_000),
    },
  ],
];

for (const [name, response] of cases) {
  test(`the fast PublishResponse encoder matches google-protobuf's bytes: ${name}`, (t) => {
    const fast = encodePublishResponseFast(response);
    t.deepEqual(Buffer.from(fast), Buffer.from(encodePublishResponse(response)));
    t.deepEqual(
      decodePublishResponse(fast),
      decodePublishResponse(encodePublishResponse(response)),
    );
  });
}
