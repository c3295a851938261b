import test from "ava";
import { LbError, parseAddress, parseAddressList } from "../../src/client/index.js";

test("address lists split on commas, trim, normalise and drop duplicates", (t) => {
  t.deepEqual(parseAddressList("127.0.0.1:9292"), ["127.0.0.1:9292"]);
  t.deepEqual(parseAddressList(" a.example:9292 , b.example:9393,a.example:9292 "), [
    "a.example:9292",
    "b.example:9393",
  ]);
  t.deepEqual(parseAddressList("[::1]:9292,localhost:1"), ["[::1]:9292", "localhost:1"]);
  t.deepEqual(parseAddressList("a:1,,b:2,"), ["a:1", "b:2"]);
});

test("one address parses into host and port", (t) => {
  t.deepEqual(parseAddress("10.0.0.5:9292"), { host: "10.0.0.5", port: 9292 });
  t.deepEqual(parseAddress("[fe80::1]:65535"), { host: "fe80::1", port: 65535 });
});

test("bad addresses name the field, the value and the expected form", (t) => {
  const cases: [string, RegExp][] = [
    ["foo", /^--address "foo": expected HOST:PORT/],
    ["foo:", /^--address "foo:": expected HOST:PORT/],
    [":9292", /^--address ":9292": expected HOST:PORT/],
    ["host:0", /^--address "host:0": port must be between 1 and 65535$/],
    ["host:65536", /^--address "host:65536": port must be between 1 and 65535$/],
    ["::1:9292", /^--address "::1:9292": expected HOST:PORT/],
    ["", /^--address "": expected HOST:PORT\[,HOST:PORT...\]$/],
    [" , ", /^--address " , ": expected HOST:PORT\[,HOST:PORT...\]$/],
  ];
  for (const [text, message] of cases) {
    const err = t.throws(() => parseAddressList(text, "--address"), { instanceOf: LbError });
    t.regex(err.message, message, text);
    t.is(err.kind, "invalid_argument");
  }
});
