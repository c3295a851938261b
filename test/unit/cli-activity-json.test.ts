import test from "ava";
import { messageToJson } from "../../src/cli/message-json.js";
import {
  ActivityStreamOp,
  decodeMessage,
  encodeActivityStreamEvent,
  encodeMessage,
} from "../../src/wire/api.js";

const message = (stream: string, value: Uint8Array) =>
  decodeMessage(encodeMessage({ stream, value, offset: 4, timestamp: 1_700_000_000_000_000_000n }));

test("lb sub --json decodes ActivityStreamEvents on __activity, and only there", (t) => {
  const value = encodeActivityStreamEvent({
    id: 12,
    op: ActivityStreamOp.PAUSE_STREAM,
    pauseStreamOp: { stream: "orders", partitions: [0, 2], resumeAll: true },
  });
  t.deepEqual(messageToJson(message("__activity", value)).event, {
    id: 12,
    op: "PAUSE_STREAM",
    pauseStreamOp: { stream: "orders", partitions: [0, 2], resumeAll: true },
  });
  t.is(messageToJson(message("orders", value)).event, undefined);
  t.is(messageToJson(message("__activity", Uint8Array.of(0xff, 0xff))).event, undefined);
});
