import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { startBroker } from "../helpers/broker.js";
import { runLb, runOnTerminal } from "../helpers/cli.js";
import { startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";

test("tables line up on a terminal and are tab-separated in a pipe; settings are shown", async (t) => {
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url);
  const env = { LB_ADDRESS: broker.address };
  const created = await runLb(
    [
      "stream",
      "create",
      "audit",
      "--subject",
      "audit",
      "--retention-max-age",
      "24h",
      "--compact",
      "--min-isr",
      "1",
      "--sync-policy",
      "interval",
    ],
    { env },
  );
  t.is(created.code, 0, created.stderr);

  const piped = await runLb(["stream", "list"], { env });
  t.is(piped.code, 0, piped.stderr);
  t.deepEqual(piped.stdout.split("\n").slice(0, 2), [
    "NAME\tSUBJECT\tPARTITIONS\tRF\tPAUSED\tREADONLY\tRETENTION\tCOMPACT\tSYNC\tENCRYPTED\tMIN ISR\tOCC",
    "audit\taudit\t1\t1\tno\tno\t24h\tyes\tinterval\tno\t1\tno",
  ]);

  const tty = await runOnTerminal(["stream", "list"], { ...env, NO_COLOR: "1" });
  t.false(tty.includes("\t"), tty);
  t.regex(tty, /^NAME {2,}SUBJECT {2,}PARTITIONS {2}RF {2}PAUSED {2}READONLY {2}RETENTION/m);
  t.regex(tty, /^audit {2,}audit {2,}1 {11}1 {3}no {6}no {8}24h/m);

  const described = await runLb(["describe", "audit"], { env });
  t.regex(
    described.stdout,
    /^settings .*retention-max-age=24h\* .*compact=yes\* .*min-isr=1\* .*optimistic-concurrency-control=no .*sync-policy=interval\*$/m,
  );
  const json = JSON.parse((await runLb(["describe", "audit", "--json"], { env })).stdout);
  t.like(json.stream.settings, {
    retentionMaxAgeMs: 86_400_000,
    compactEnabled: true,
    minIsr: 1,
    syncPolicy: "interval",
    optimisticConcurrencyControl: false,
    encryption: false,
  });
  t.deepEqual(json.stream.settings.own.sort(), [
    "compactEnabled",
    "minIsr",
    "retentionMaxAgeMs",
    "syncPolicy",
  ]);

  const again = await runLb(
    [
      "stream",
      "create",
      "audit",
      "--subject",
      "audit",
      "--if-not-exists",
      "--retention-max-age",
      "1h",
      "--json",
    ],
    { env },
  );
  t.is(again.code, 0, again.stderr);
  t.regex(
    again.stderr,
    /warning: stream "audit" exists with other settings than asked: retention-max-age 24h \(asked 1h\)/,
  );
  t.deepEqual(JSON.parse(again.stdout).differences, [
    { setting: "retention-max-age", existing: "24h", requested: "1h" },
  ]);
  // Progress on a terminal's stderr, never in a pipe.
  const dir = await makeTempDir("lb-progress-", t);
  await writeFile(join(dir, "in.txt"), Array.from({ length: 100 }, (_, i) => `m${i}\n`).join(""));
  const onTerminal = await runOnTerminal(
    ["pub", "audit", "-q", "--file", join(dir, "in.txt"), "-D", "\\n"],
    { ...env, NO_COLOR: "1" },
  );
  t.regex(onTerminal, /\u001b\[K\d+ sent, \d+ acked, 0 failed/);
  t.regex(onTerminal, /100 acked on 1 partition, 0 failed/);
  const inPipe = await runLb(["pub", "audit", "-q", "--file", join(dir, "in.txt"), "-D", "\\n"], {
    env,
  });
  t.is(inPipe.stderr, "100 acked on 1 partition, 0 failed\n");

  const same = await runLb(
    ["stream", "create", "audit", "--subject", "audit", "--if-not-exists", "--compact"],
    { env },
  );
  t.is(same.code, 0);
  t.is(same.stderr, "");
});
