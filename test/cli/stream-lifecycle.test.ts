import test from "ava";
import { runLb, startServe } from "../helpers/cli.js";
import { freePort } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";

test("lb stream pause, resume and readonly print a row per partition", async (t) => {
  const dir = await makeTempDir("lb-cli-lifecycle-", t);
  const serve = await startServe(t, [
    "--data",
    dir,
    "-p",
    String(await freePort()),
    "--host",
    "127.0.0.1",
  ]);
  const env = { LB_ADDRESS: serve.address };
  const lb = (...args: string[]) => runLb(args, { env });

  t.is((await lb("stream", "create", "s", "--subject", "s", "--partitions", "3")).code, 0);
  const paused = await lb("stream", "pause", "s", "-p", "0,2", "--json");
  t.is(paused.code, 0, paused.stderr);
  t.deepEqual(JSON.parse(paused.stdout), {
    stream: "s",
    partitions: [
      { partition: 0, paused: true, readonly: false },
      { partition: 2, paused: true, readonly: false },
    ],
  });
  const list = await lb("stream", "list");
  t.regex(list.stdout, /s\s+s\s+3\s+1\s+2\/3\s+no/);

  const resumed = await lb("stream", "resume", "s");
  t.is(resumed.code, 0, resumed.stderr);
  t.regex(resumed.stdout, /PARTITION\s+PAUSED/);
  t.notRegex(resumed.stdout, /yes/);

  const ro = await lb("stream", "readonly", "s", "-p", "1");
  t.is(ro.code, 0, ro.stderr);
  t.regex(ro.stdout, /s\s+1\s+yes/);
  const refused = await lb("pub", "s", "x", "-p", "1");
  t.is(refused.code, 1);
  t.regex(refused.stderr, /readonly/i);
  const ended = await lb("sub", "s", "-p", "1", "--from-earliest");
  t.is(ended.code, 0, "a read-only partition's end ends lb sub");
  const off = await lb("stream", "readonly", "s", "-p", "1", "--off", "--json");
  t.like(JSON.parse(off.stdout).partitions[0], { partition: 1, readonly: false });
  t.is((await lb("pub", "s", "x", "-p", "1")).code, 0);
  t.is((await lb("stream", "pause", "missing")).code, 1);
});

test("lb cursor set and get", async (t) => {
  const dir = await makeTempDir("lb-cli-cursor-", t);
  const serve = await startServe(
    t,
    ["--data", dir, "-p", String(await freePort()), "--host", "127.0.0.1"],
    { LIFTBRIDGE_CURSORS_STREAM_PARTITIONS: "2" },
  );
  const env = { LB_ADDRESS: serve.address };
  const lb = (...args: string[]) => runLb(args, { env });
  const missing = await lb("cursor", "get", "orders", "--id", "billing");
  t.is(missing.code, 1);
  t.regex(missing.stderr, /stream "orders" not found/);
  t.is(
    (await lb("stream", "create", "orders", "--subject", "orders", "--partitions", "2")).code,
    0,
  );
  const noPartition = await lb(
    "cursor",
    "set",
    "orders",
    "--id",
    "billing",
    "-p",
    "5",
    "--offset",
    "1",
  );
  t.is(noPartition.code, 1);
  t.regex(noPartition.stderr, /stream "orders" has no partition 5 \(it has 2: 0 to 1\)/);
  const unset = await lb("cursor", "get", "orders", "--id", "billing", "-p", "1");
  t.is(unset.code, 0, unset.stderr);
  t.is(unset.stdout.trim(), "-1");
  t.is(
    (await lb("cursor", "set", "orders", "--id", "billing", "-p", "1", "--offset", "42")).code,
    0,
  );
  const got = await lb("cursor", "get", "orders", "--id", "billing", "-p", "1", "--json");
  t.deepEqual(JSON.parse(got.stdout), {
    stream: "orders",
    partition: 1,
    cursorId: "billing",
    offset: 42,
  });
  t.is((await lb("cursor", "get", "orders")).code, 2, "--id is required");
});

test("lb compact reports records and bytes before and after; --sync-policy is kept", async (t) => {
  const dir = await makeTempDir("lb-cli-compact-", t);
  const serve = await startServe(
    t,
    ["--data", dir, "-p", String(await freePort()), "--host", "127.0.0.1"],
    { LIFTBRIDGE_STREAMS_SEGMENT_MAX_BYTES: "1024" },
  );
  const env = { LB_ADDRESS: serve.address };
  const lb = (args: string[], input?: string) => runLb(args, { env, input });
  const created = await lb([
    "stream",
    "create",
    "kv",
    "--subject",
    "kv",
    "--sync-policy",
    "interval",
  ]);
  t.is(created.code, 0, created.stderr);
  const lines = Array.from({ length: 60 }, (_, i) => `value-${i}`.padEnd(40, ".")).join("\n");
  t.is((await lb(["pub", "kv", "-k", "same", "-q"], `${lines}\n`)).code, 0);
  // One more write rolls the segment, so the 60 above are sealed and can be compacted.
  t.is((await lb(["pub", "kv", "last", "-k", "same", "-q"])).code, 0);
  const compacted = await lb(["compact", "kv", "--json"]);
  t.is(compacted.code, 0, compacted.stderr);
  const row = JSON.parse(compacted.stdout).partitions[0];
  t.is(row.partition, 0);
  t.is(row.recordsBefore, 61, compacted.stdout);
  t.is(row.recordsAfter, 2, "the newest sealed record for the key, and the active segment's");
  const table = await lb(["compact", "kv"]);
  t.regex(table.stdout, /PARTITION\s+RECORDS BEFORE\s+RECORDS AFTER/);
  const bad = await lb(["stream", "create", "x", "--subject", "x", "--sync-policy", "sometimes"]);
  t.is(bad.code, 2);
});
