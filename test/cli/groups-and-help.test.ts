import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import test from "ava";
import { startBroker } from "../helpers/broker.js";
import { runLb } from "../helpers/cli.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { makeTempDir } from "../helpers/tmp.js";

test("lb group list and describe show what the metadata holds", async (t) => {
  const nats = await startNats(t);
  // Members here never fetch their assignments: keep them from expiring during the test.
  const { address, broker } = await startBroker(t, nats.url, {
    flags: { "groups.consumer.timeout": "10m" },
  });
  const env = { LB_ADDRESS: address };
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "a", subject: "a", partitions: 2 });
  await call(client, "createStream", { name: "b", subject: "b" });
  const empty = await runLb(["group", "list", "--json"], { env });
  t.is(empty.code, 0, empty.stderr);
  t.deepEqual(JSON.parse(empty.stdout), []);
  await call(client, "joinConsumerGroup", { groupId: "g", consumerId: "c1", streams: ["a", "b"] });
  await call(client, "joinConsumerGroup", { groupId: "g", consumerId: "c2", streams: ["a"] });

  const list = await runLb(["group", "list"], { env });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, new RegExp(`^g\\t${broker.serverId}\\t\\d+\\t2\\ta,b$`, "m"));
  t.is((await runLb(["group", "list", "-q"], { env })).stdout, "g\n");

  const described = JSON.parse((await runLb(["group", "describe", "g", "--json"], { env })).stdout);
  t.is(described.coordinator, broker.serverId);
  t.deepEqual(
    described.members.map((m: { consumerId: string; assignments: unknown }) => [
      m.consumerId,
      m.assignments,
    ]),
    [
      [
        "c1",
        [
          { stream: "a", partitions: [0] },
          { stream: "b", partitions: [0] },
        ],
      ],
      ["c2", [{ stream: "a", partitions: [1] }]],
    ],
  );
  const text = await runLb(["group", "describe", "g"], { env });
  t.regex(text.stdout, /^c2\ta\t1$/m);
  const missing = await runLb(["group", "describe", "nope"], { env });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^lb: consumer group "nope" not found \(see: lb group list\)$/m);
});

test("lb version, lb help COMMAND, did-you-mean and shell completion", async (t) => {
  const version = await runLb(["version", "--json"]);
  t.is(version.code, 0);
  t.like(JSON.parse(version.stdout), { version: "0.1.0", node: process.version });

  const help = await runLb(["help", "stream", "create"]);
  t.is(help.code, 0);
  t.regex(help.stdout, /Create a stream attached to a NATS subject/);
  t.regex(help.stdout, /--if-not-exists/);

  const typo = await runLb(["stream", "craete", "x"]);
  t.is(typo.code, 2);
  t.is(typo.stderr, 'lb: unknown command "stream craete" (did you mean: lb stream create?)\n');
  const typoJson = await runLb(["pbu", "--json"]);
  t.is(typoJson.code, 2);
  t.like(JSON.parse(typoJson.stderr), { error: { kind: "usage", exitCode: 2 } });
  const helpTypo = await runLb(["help", "stram"]);
  t.is(helpTypo.code, 2);
  t.regex(helpTypo.stderr, /did you mean: lb stream\?/);

  const root = await runLb(["--help"]);
  t.regex(root.stdout, /^ {2}autocomplete\s+\S/m);
  const script = await runLb(["autocomplete", "bash"]);
  t.is(script.code, 0);
  const dir = await makeTempDir("lb-complete-", t);
  await writeFile(`${dir}/c.sh`, script.stdout);
  const complete = async (...words: string[]) => {
    const { stdout } = await promisify(execFile)("bash", [
      "-c",
      `source ${dir}/c.sh; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _lb; echo "\${COMPREPLY[*]}"`,
    ]);
    return stdout.trim();
  };
  t.is(await complete("lb", "str"), "stream");
  t.is(await complete("lb", "stream", "cr"), "create");
  t.is(await complete("lb", "sub", "s", "--until-o"), "--until-offset");
  t.is(await complete("lb", "group", ""), "describe list");
});
