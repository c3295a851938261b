import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { RunResult } from "../stats.js";
import {
  type CoreNatsSystem,
  createStream,
  deleteStream,
  freshStreamName,
  type JetStreamSystem,
  type LbSystem,
} from "../systems.js";
import { fillStream, publishPlain } from "./plain-publish.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

const SINK_SCRIPT = fileURLToPath(new URL("../nats-sink.js", import.meta.url));
const SINK_PREFIX = "bench-core";

/** (f) Plain NATS publishes (no envelope) into a stream, against core NATS alone. */
export function natsIngestScenario(ctx: ScenarioContext): Scenario {
  const count = ctx.options.ingestMessages;
  const value = messageValue();
  const result = (seconds: number): RunResult => ({
    messages: count,
    seconds,
    messageBytes: MESSAGE_BYTES,
  });
  const intoStream = (system: LbSystem | JetStreamSystem, client: string): Contender => ({
    system: system.label,
    client,
    run: async () => {
      const stream = freshStreamName("f");
      await createStream(system, stream);
      try {
        return result(await fillStream(system, stream, value, count));
      } finally {
        await deleteStream(system, stream);
      }
    },
  });
  return {
    id: "f",
    title: `plain NATS publishes of ${count.toLocaleString("en-US")} × ${MESSAGE_BYTES} B into a stream`,
    compare: "rate",
    contenders: [
      ...ctx.systems.lb.map((lb) => intoStream(lb, "nats.js nc.publish() → lb stores")),
      intoStream(ctx.systems.jetstream, "nats.js nc.publish() → JetStream stores"),
      coreNatsContender(ctx.systems.core, count, value, result),
    ],
  };
}

function coreNatsContender(
  core: CoreNatsSystem,
  count: number,
  value: Uint8Array,
  result: (seconds: number) => RunResult,
): Contender {
  let sink: ChildProcess | undefined;
  let runs = 0;
  return {
    system: core.label,
    client: "nats.js nc.publish() → nats.js subscriber in another process",
    reference: true,
    setup: async () => {
      sink = spawn(process.execPath, [SINK_SCRIPT, core.nats.url, SINK_PREFIX], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const [line] = (await Promise.race([
        once(sink.stdout!, "data"),
        once(sink, "exit").then(([code]) => {
          throw new Error(`the NATS sink exited with code ${code} before it was ready`);
        }),
      ])) as [Buffer];
      if (!line.toString().startsWith("ready")) {
        throw new Error(`the NATS sink said ${JSON.stringify(line.toString())}`);
      }
    },
    run: async () => {
      const subject = `${SINK_PREFIX}.${++runs}`;
      const counted = async () => {
        const reply = await core.nc.request(`${SINK_PREFIX}-count`, subject);
        return Number(reply.string());
      };
      return result(await publishPlain(core.nc, subject, value, count, counted));
    },
    teardown: async () => {
      if (!sink || sink.exitCode !== null) return;
      const exited = once(sink, "exit");
      sink.kill("SIGTERM");
      await exited;
    },
  };
}
