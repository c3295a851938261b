import test from "ava";
import { startBroker } from "../helpers/broker.js";
import { runLb } from "../helpers/cli.js";
import { startNats } from "../helpers/nats.js";

test("sub starts at the last N, a relative time or an offset, stops at an offset or time, and formats", async (t) => {
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url);
  const env = { LB_ADDRESS: broker.address };
  const lb = (args: string[], input?: string) => runLb(args, { env, input });
  t.is((await lb(["stream", "create", "s", "--subject", "s"])).code, 0);
  const values = Array.from({ length: 10 }, (_, i) => `v${i}`).join("\n");
  t.is((await lb(["pub", "s", "-K", "=", "-q"], values.replaceAll("v", "k=v"))).code, 0);

  const lines = (r: { stdout: string }) => r.stdout.trim().split("\n");
  t.deepEqual(lines(await lb(["sub", "s", "--last", "3", "-e"])), ["v7", "v8", "v9"]);
  t.deepEqual(lines(await lb(["sub", "s", "--offset", "-2", "-e"])), ["v8", "v9"]);
  t.deepEqual(lines(await lb(["sub", "s", "--since", "1h", "--until-offset", "2"])), [
    "v0",
    "v1",
    "v2",
  ]);
  t.deepEqual(lines(await lb(["sub", "s", "--offset", "4", "--until-offset", "5"])), ["v4", "v5"]);
  const formatted = await lb([
    "sub",
    "s",
    "--last",
    "1",
    "-e",
    "-f",
    "%t/%p/%o %k=%v %S %v{hex}\\n",
  ]);
  t.is(formatted.stdout, `s/0/9 k=v9 2 ${Buffer.from("v9").toString("hex")}\n`);

  const json = JSON.parse(lines(await lb(["sub", "s", "--last", "1", "-e", "--json"]))[0]!);
  // The timestamp --json prints is one --timestamp and --until-time take.
  const fromNs = await lb(["sub", "s", "--timestamp", json.timestampNs, "-e", "--json"]);
  t.is(fromNs.code, 0, fromNs.stderr);
  t.true(
    lines(fromNs)
      .map((l) => JSON.parse(l).offset)
      .includes(9),
  );
  const until = await lb(["sub", "s", "--from-earliest", "--until-time", json.timestamp]);
  t.is(until.code, 0, until.stderr);
  t.true(lines(until).length >= 1);

  const seconds = await lb(["sub", "s", "--timestamp", "1767607200", "-e"]);
  t.is(seconds.code, 2);
  t.regex(seconds.stderr, /looks like seconds/);
  const badToken = await lb(["sub", "s", "-e", "-f", "%q"]);
  t.is(badToken.code, 2);
  t.regex(badToken.stderr, /unknown token "%q"/);
});

test("sub says a paused partition is paused instead of reading nothing", async (t) => {
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url);
  const env = { LB_ADDRESS: broker.address };
  const lb = (args: string[]) => runLb(args, { env });
  t.is((await lb(["stream", "create", "s", "--subject", "s", "--partitions", "2"])).code, 0);
  t.is((await lb(["pub", "s", "zero", "-p", "0"])).code, 0);
  t.is((await lb(["pub", "s", "one", "-p", "1"])).code, 0);
  t.is((await lb(["stream", "pause", "s", "-p", "1"])).code, 0);

  const some = await lb(["sub", "s", "--from-earliest", "-e"]);
  t.is(some.code, 0, some.stderr);
  t.is(some.stdout, "zero\n");
  t.regex(some.stderr, /partition 1 of stream "s" paused, not read \(--resume reads it\)/);

  const only = await lb(["sub", "s", "-p", "1", "--from-earliest", "-e"]);
  t.is(only.code, 1);
  t.regex(only.stderr, /partition 1 paused: nothing to read/);

  const resumed = await lb(["sub", "s", "-p", "1", "--from-earliest", "-e", "--resume"]);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(resumed.stdout, "one\n");
});
