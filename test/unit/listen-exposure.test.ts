import test from "ava";
import { isLoopbackHost, plaintextExposureWarning } from "../../src/server/listen-exposure.js";

test("loopback hosts: localhost, 127.0.0.0/8 and ::1 (bracketed or not)", (t) => {
  for (const host of [
    "localhost",
    "LOCALHOST",
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "::ffff:127.0.0.1",
  ]) {
    t.true(isLoopbackHost(host), host);
  }
  for (const host of [
    "0.0.0.0",
    "::",
    "10.0.0.5",
    "192.168.1.2",
    "fe80::1",
    "myhost",
    "128.0.0.1",
  ]) {
    t.false(isLoopbackHost(host), host);
  }
});

test("the plaintext warning: for a wildcard or routable address without TLS only", (t) => {
  t.regex(
    plaintextExposureWarning("0.0.0.0", 9292, false)!,
    /^serving gRPC without TLS on 0\.0\.0\.0:9292 \(every interface\): /,
  );
  t.regex(
    plaintextExposureWarning("10.0.0.5", 9292, false)!,
    /on 10\.0\.0\.5:9292: anyone who can reach it/,
  );
  t.is(plaintextExposureWarning("0.0.0.0", 9292, true), undefined);
  t.is(plaintextExposureWarning("127.0.0.1", 9292, false), undefined);
});
