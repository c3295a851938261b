import test from "ava";
import { bytesToJson } from "../../src/cli/bytes-json.js";
import { messageToJson } from "../../src/cli/message-json.js";
import { toJson } from "../../src/cli/output.js";
import { AckPolicy, type Message } from "../../src/wire/api.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

test("valid UTF-8 is written as the text itself", (t) => {
  t.is(bytesToJson(utf8("hello")), "hello");
  t.is(bytesToJson(utf8('{"id":9}')), '{"id":9}');
  t.is(bytesToJson(utf8("zürich ☃ 😀")), "zürich ☃ 😀");
  t.is(bytesToJson(new Uint8Array(0)), "");
});

test("a leading byte order mark is kept, not silently dropped", (t) => {
  t.is(bytesToJson(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)), "\ufeffa");
});

test("bytes that are not valid UTF-8 are written as base64", (t) => {
  t.deepEqual(bytesToJson(Uint8Array.of(0xff, 0x00, 0x80)), { b64: "/wCA" });
  // A truncated multi-byte sequence and an overlong encoding are both invalid.
  t.deepEqual(bytesToJson(Uint8Array.of(0xe2, 0x98)), { b64: "4pg=" });
  t.deepEqual(bytesToJson(Uint8Array.of(0xc0, 0xaf)), { b64: "wK8=" });
});

test("base64 covers only the view's bytes, not the rest of its buffer", (t) => {
  const buffer = Uint8Array.of(0x61, 0xff, 0xfe, 0x62);
  t.deepEqual(bytesToJson(buffer.subarray(1, 3)), { b64: "//4=" });
});

test("a consumed message becomes one compact JSON object with headers as an object", (t) => {
  const message: Message = {
    offset: 42,
    key: utf8("c-17"),
    value: Uint8Array.of(0xff, 0x01),
    timestamp: 1_767_607_200_123_456_789n,
    stream: "orders",
    partition: 1,
    subject: "orders.1",
    replySubject: "",
    headers: { subject: utf8("orders.1"), Trace: Uint8Array.of(0x80) },
    ackInbox: "",
    correlationId: "",
    ackPolicy: AckPolicy.LEADER,
  };
  t.is(
    toJson(messageToJson(message)),
    '{"stream":"orders","partition":1,"offset":42,"timestamp":"2026-01-05T10:00:00.123456789Z",' +
      '"timestampNs":"1767607200123456789","subject":"orders.1","key":"c-17","value":{"b64":"/wE="},' +
      '"headers":{"subject":"orders.1","Trace":{"b64":"gA=="}}}',
  );
  t.is(messageToJson({ ...message, key: new Uint8Array(0) }).key, null);
});

test("toJson writes bigints as decimal strings", (t) => {
  t.is(toJson({ ns: 1_767_607_200_123_456_789n }), '{"ns":"1767607200123456789"}');
});
