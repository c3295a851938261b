import test from "ava";
import {
  DecodeError,
  decodeConfChange,
  decodeMessage,
  encodeConfChange,
  encodeMessage,
  type Message,
} from "../../src/server/raft/index.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const base = { from: "broker-1", to: "broker-2", term: 7 };

const samples: Message[] = [
  { ...base, type: "preVote", lastLogIndex: 10, lastLogTerm: 6, transfer: false },
  { ...base, type: "vote", lastLogIndex: 2 ** 40, lastLogTerm: 6, transfer: true },
  { ...base, type: "preVoteResponse", reject: true },
  { ...base, type: "voteResponse", reject: false },
  {
    ...base,
    type: "append",
    prevLogIndex: 9,
    prevLogTerm: 6,
    commit: 8,
    entries: [
      { index: 10, term: 7, kind: "normal", data: bytes("create stream") },
      {
        index: 11,
        term: 7,
        kind: "confChange",
        data: encodeConfChange({ type: "addLearner", nodeId: "b4" }),
      },
    ],
  },
  { ...base, type: "appendResponse", index: 11, reject: true, hintIndex: 9, hintTerm: 5 },
  { ...base, type: "heartbeat", commit: 11 },
  { ...base, type: "heartbeatResponse" },
  {
    ...base,
    type: "snapshot",
    snapshot: {
      metadata: { index: 50, term: 6, confState: { voters: ["a", "b"], learners: ["c"] } },
      data: bytes("state"),
    },
  },
  { ...base, type: "timeoutNow" },
];

test("every message type survives the codec unchanged", (t) => {
  for (const m of samples) t.deepEqual(decodeMessage(encodeMessage(m)), m, m.type);
});

test("messages are compact: a heartbeat between short IDs takes a few bytes", (t) => {
  const heartbeat = encodeMessage({
    type: "heartbeat",
    from: "a",
    to: "b",
    term: 300,
    commit: 1000,
  });
  t.true(heartbeat.length <= 12, `${heartbeat.length} bytes`);
  t.is(heartbeat[0], 1, "the first byte is the format version");
});

test("bad bytes are refused with an error naming the field", (t) => {
  const good = encodeMessage(samples[4]!);
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(), /raft message: version at byte 0: unexpected end of data/],
    [Uint8Array.of(2, 1), /format version 2: this build reads version 1/],
    [Uint8Array.of(1, 99), /type 99: expected 1\.\.10/],
    [good.subarray(0, good.length - 3), /entry\.data.*exceeds/],
    [Uint8Array.from([...good, 0]), /1 unexpected trailing bytes/],
    [
      Uint8Array.of(1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1),
      /term at byte \d+: varint longer than 8 bytes/,
    ],
  ];
  for (const [input, message] of cases) {
    const err = t.throws(() => decodeMessage(input), { instanceOf: DecodeError });
    t.regex(err.message, message);
  }
});

test("membership changes round-trip and bad ones are refused", (t) => {
  for (const type of ["addVoter", "addLearner", "promoteLearner", "removeNode"] as const) {
    t.deepEqual(decodeConfChange(encodeConfChange({ type, nodeId: "n-7" })), {
      type,
      nodeId: "n-7",
    });
  }
  t.throws(() => decodeConfChange(Uint8Array.of(1, 9, 0)), {
    instanceOf: DecodeError,
    message: /conf change: type 9: expected 0\.\.3/,
  });
});
