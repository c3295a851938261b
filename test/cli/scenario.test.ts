import { join } from "node:path";
import test from "ava";
import { runLb, startServe } from "../helpers/cli.js";
import { freePort } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";

// The user's own scenario, run as they would type it: the real binary in subprocesses.
test("lb serve, stream create, pub from stdin, sub --from-earliest, across a restart", async (t) => {
  const dir = await makeTempDir("lb-scenario-", t);
  const port = await freePort();
  const serveArgs = ["--data", join(dir, "data"), "-p", String(port), "--host", "127.0.0.1"];
  const serve = await startServe(t, serveArgs);
  const env = { LB_ADDRESS: serve.address };

  const create = await runLb(
    ["stream", "create", "orders", "--subject", "orders", "--partitions", "3"],
    { env },
  );
  t.is(create.code, 0, create.stderr);
  t.regex(create.stdout, /orders\s+3\s+1\s+created/);

  const pub = await runLb(["pub", "orders"], { env, input: "first\nsecond\nthird\n" });
  t.is(pub.code, 0, pub.stderr);
  t.deepEqual(pub.stdout.trim().split("\n"), [
    "partition 0 offset 0",
    "partition 0 offset 1",
    "partition 0 offset 2",
  ]);
  t.regex(pub.stderr, /3 acked on 1 partition, 0 failed/);

  const keyed = await runLb(
    ["pub", "orders", "to-p2", "-p", "2", "-k", "k", "-H", "source=cli", "--json"],
    { env },
  );
  t.is(keyed.code, 0, keyed.stderr);
  t.like(JSON.parse(keyed.stdout), {
    stream: "orders",
    partition: 2,
    offset: 0,
    subject: "orders.2",
  });

  // Without -p, every partition is read: p0's messages in order, and p2's.
  const sub = await runLb(["sub", "orders", "--from-earliest", "--stop-at-latest"], { env });
  t.is(sub.code, 0, sub.stderr);
  const lines = sub.stdout.trim().split("\n");
  t.deepEqual(
    lines.filter((l) => l !== "to-p2"),
    ["first", "second", "third"],
  );
  t.deepEqual(
    lines.filter((l) => l === "to-p2"),
    ["to-p2"],
  );

  const json = await runLb(["sub", "orders", "-p", "2", "--from-earliest", "-e", "--json"], {
    env,
  });
  t.is(json.code, 0, json.stderr);
  const record = JSON.parse(json.stdout.trim());
  t.like(record, {
    stream: "orders",
    partition: 2,
    offset: 0,
    key: "k",
    value: "to-p2",
    subject: "orders.2",
  });
  t.is(record.headers.source, "cli");

  t.is(await serve.stop(), 0);
  const again = await startServe(t, serveArgs);
  const afterRestart = await runLb(
    ["sub", "orders", "-p", "0", "--from-earliest", "-e", "-n", "3"],
    {
      env: { LB_ADDRESS: again.address },
    },
  );
  t.is(afterRestart.code, 0, afterRestart.stderr);
  t.deepEqual(afterRestart.stdout.trim().split("\n"), ["first", "second", "third"]);

  const described = await runLb(["describe", "orders", "--json"], {
    env: { LB_ADDRESS: again.address },
  });
  t.is(described.code, 0, described.stderr);
  t.regex(described.stdout, /"highWatermark":\s*2/);
});

test("usage errors exit 2, server-side failures exit 1, an unreachable broker within 5 s", async (t) => {
  const port = await freePort();
  const env = { LB_ADDRESS: `127.0.0.1:${port}` };
  const started = Date.now();
  const unreachable = await runLb(["stream", "list"], { env });
  t.is(unreachable.code, 1);
  // Bounded by the 5 s connect timeout plus process start-up: it never hangs.
  t.true(Date.now() - started < 20_000);
  t.regex(unreachable.stderr, /^lb: .*127\.0\.0\.1:\d+/m);
  t.is(unreachable.stderr.trim().split("\n").length, 1);

  const badFlag = await runLb(["sub", "orders", "--offset", "abc"], { env });
  t.is(badFlag.code, 2);
  const missingArg = await runLb(["stream", "create"], { env });
  t.is(missingArg.code, 2);
  t.is(missingArg.stderr.trim().split("\n").length, 1);

  const dir = await makeTempDir("lb-errors-", t);
  const serve = await startServe(t, ["--data", dir, "-p", String(port), "--host", "127.0.0.1"]);
  const live = { LB_ADDRESS: serve.address };
  const notFound = await runLb(["sub", "nope", "-e"], { env: live });
  t.is(notFound.code, 1);
  t.regex(notFound.stderr, /stream "nope" not found/);
  const badName = await runLb(["stream", "create", "bad.name", "--subject", "x"], { env: live });
  t.is(badName.code, 1);
  t.regex(badName.stderr, /bad\.name/);
  const noConfirm = await runLb(["stream", "create", "s", "--subject", "s"], { env: live });
  t.is(noConfirm.code, 0);
  const refuse = await runLb(["stream", "delete", "s"], { env: live });
  t.is(refuse.code, 2, "no terminal and no --yes");
  const del = await runLb(["stream", "delete", "s", "--yes"], { env: live });
  t.is(del.code, 0, del.stderr);
});

test("lb --help lists every command with its summary", async (t) => {
  const help = await runLb(["--help"]);
  t.is(help.code, 0);
  for (const command of [
    "serve",
    "stream create",
    "stream delete",
    "stream list",
    "stream pause",
    "stream resume",
    "stream readonly",
    "describe",
    "pub",
    "sub",
    "compact",
    "cursor get",
    "cursor set",
    "log verify",
    "log dump",
  ]) {
    t.regex(help.stdout, new RegExp(`^  ${command}\\s+\\S`, "m"), command);
  }
});
