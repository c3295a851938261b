import test from "ava";
import { masterKeyFromEnv } from "../../src/server/encryption.js";
import { credentialsFromUrls, redactUrl } from "../../src/server/nats/credentials.js";
import { redactSecrets } from "../../src/server/redact.js";

const KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex");
const keyFrom = (value: string) => masterKeyFromEnv({ LIFTBRIDGE_ENCRYPTION_KEY: value });

test("an encryption key is taken as upstream does (16 or 32 characters) or as hex/base64", (t) => {
  t.deepEqual(keyFrom("0123456789abcdef"), Buffer.from("0123456789abcdef"));
  // 32 characters are always upstream's raw form, even when they happen to be hex digits.
  t.deepEqual(
    keyFrom("0123456789abcdef0123456789abcdef"),
    Buffer.from("0123456789abcdef0123456789abcdef"),
  );
  t.deepEqual(keyFrom(KEY.toString("hex")), KEY);
  t.deepEqual(keyFrom(KEY.toString("hex").toUpperCase()), KEY);
  t.deepEqual(keyFrom(KEY.toString("base64")), KEY);
  t.deepEqual(keyFrom(KEY.toString("base64url")), KEY);
  t.deepEqual(keyFrom(KEY.toString("base64").replace(/=+$/, "")), KEY);
  const short = KEY.subarray(0, 16);
  t.deepEqual(keyFrom(short.toString("base64")), short);
  t.deepEqual(keyFrom(short.toString("base64url")), short);
});

test("a malformed encryption key is refused with the formats it may take", (t) => {
  for (const bad of [
    "short",
    "x".repeat(31),
    `${KEY.toString("hex")}0`,
    "g".repeat(64),
    "*".repeat(44),
  ]) {
    t.throws(() => keyFrom(bad), {
      message:
        /LIFTBRIDGE_ENCRYPTION_KEY is not a valid AES key \(\d+ characters\): expected 16 or 32 characters .*64 hex digits.*base64/,
    });
  }
  // Base64 whose last character has bits that decode to nothing is a mistyped key.
  const b64 = KEY.toString("base64");
  const noncanonical = `${b64.slice(0, 42)}B=`;
  t.not(noncanonical, b64);
  t.throws(() => keyFrom(noncanonical), { message: /not a valid AES key/ });
});

test("credentials come out of NATS URLs: user and password, or a token", (t) => {
  t.deepEqual(credentialsFromUrls(["nats://alice:p%40ss@h1:4222", "nats://alice:p%40ss@h2:4222"]), {
    servers: ["nats://h1:4222", "nats://h2:4222"],
    user: "alice",
    pass: "p@ss",
  });
  t.deepEqual(credentialsFromUrls(["nats://s3cr3t@h:4222"]), {
    servers: ["nats://h:4222"],
    token: "s3cr3t",
  });
  t.deepEqual(credentialsFromUrls(["nats://h:4222", "h2:4222"]), {
    servers: ["nats://h:4222", "h2:4222"],
  });
  const err = t.throws(() => credentialsFromUrls(["nats://a:pwA1@h1", "nats://a:pwB2@h2"]));
  t.regex(err.message, /different credentials/);
  t.false(/pwA1|pwB2/.test(err.message), err.message);
});

test("passwords and tokens in URLs are redacted wherever a line quotes them", (t) => {
  t.is(
    redactSecrets("nats nats://alice:pw@h:1,nats://bob:x@h:2"),
    "nats nats://alice:***@h:1,nats://bob:***@h:2",
  );
  t.is(redactSecrets('{"nats":"nats://tok@h:4222"}'), '{"nats":"nats://***@h:4222"}');
  t.is(redactSecrets("nats://h:4222 and host:port"), "nats://h:4222 and host:port");
});

test("a NATS URL is redacted with or without its scheme", (t) => {
  t.is(redactUrl("nats://alice:pw@h:4222"), "nats://alice:***@h:4222");
  t.is(redactUrl("alice:pw@h:4222"), "alice:***@h:4222");
  t.is(redactUrl("tok@h:4222"), "***@h:4222");
  t.is(redactUrl("nats://h:4222"), "nats://h:4222");
});
