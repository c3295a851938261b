/**
 * (g) Independent clients: each client's own driver process (lb's TypeScript client, grpc-js's
 * generic client, Python grpcio, grpc-go when built) against lb sync=always, lb sync=none and a
 * do-nothing server driven by the same client, next to JetStream driven by nats.go (when built)
 * and by nats.js. g1: PublishAsync with 1,000 in flight; g2: unary Publish one at a time; g3:
 * Subscribe replay of N stored messages.
 */
import { credentials } from "@grpc/grpc-js";
import { ApiClient } from "../../src/wire/service.js";
import { freePort, startNullBrokerProcess } from "../broker-process.js";
import { runWindowed } from "../drivers.js";
import { GRPC_JS_DRIVER, LB_CLIENT_DRIVER } from "../external-clients.js";
import {
  type DriverCommand,
  type DriverMode,
  type DriverServer,
  startDriverServer,
} from "../external-driver.js";
import {
  createStream,
  deleteStream,
  freshStreamName,
  type JetStreamSystem,
  type LbSystem,
} from "../systems.js";
import { driverRun, SharedServer, systemCpu } from "./driver-rows.js";
import { fillStream } from "./plain-publish.js";
import { replayJetStream } from "./replay.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type RatioTo,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

export const INDEPENDENT_WINDOW = 1000;

const JS_GO_KEY = "js-nats.go";
const JS_JS_KEY = "js-nats.js";
const NULL_SYSTEM = "null server (acks at once, stores nothing)";

interface IndependentClient {
  /** Part of the null-server row's key. */
  id: string;
  /** How the rows name the client. */
  name: string;
  driver: DriverCommand;
  /** The Go driver brings its own do-nothing server; the others use bench/null-broker.ts. */
  nullServer: "node" | "go";
  /** What the client calls when that differs from the mode's gRPC method. */
  calls?: Partial<Record<Kind, string>>;
}

type Kind = "publish-async" | "publish" | "replay";

const LB_MODE: Record<Kind, DriverMode> = {
  "publish-async": "lb-publish-async",
  publish: "lb-publish",
  replay: "lb-subscribe",
};
const JS_MODE: Record<Kind, DriverMode> = {
  "publish-async": "js-publish-async",
  publish: "js-publish",
  replay: "js-replay",
};
const CALL: Record<Kind, string> = {
  "publish-async": `PublishAsync, ${INDEPENDENT_WINDOW} in flight`,
  publish: "unary Publish, one at a time",
  replay: "Subscribe from earliest",
};

function independentClients(ctx: ScenarioContext): IndependentClient[] {
  const clients: IndependentClient[] = [
    {
      id: "lb-ts",
      name: "lb TS client",
      driver: LB_CLIENT_DRIVER,
      nullServer: "node",
      calls: { publish: "publish() one at a time, over PublishAsync" },
    },
    { id: "grpc-js", name: "grpc-js generic client", driver: GRPC_JS_DRIVER, nullServer: "node" },
  ];
  const { python, go } = ctx.clients;
  if (python)
    clients.push({ id: "python", name: "Python grpcio", driver: python, nullServer: "node" });
  if (go) clients.push({ id: "grpc-go", name: "grpc-go", driver: go, nullServer: "go" });
  return clients;
}

export function independentPublishAsyncScenario(ctx: ScenarioContext): Scenario {
  return independentScenario(ctx, "g1", "publish-async");
}

export function independentPublishScenario(ctx: ScenarioContext): Scenario {
  return independentScenario(ctx, "g2", "publish");
}

export function independentReplayScenario(ctx: ScenarioContext): Scenario {
  return independentScenario(ctx, "g3", "replay");
}

function title(kind: Kind, count: number): string {
  const b = `${MESSAGE_BYTES} B`;
  if (kind === "publish-async") {
    return `independent clients: async publish, ${b}, ${INDEPENDENT_WINDOW} in flight, ack leader / R1`;
  }
  if (kind === "publish") return `independent clients: synchronous publish, ${b}, ack leader / R1`;
  return `independent clients: replay of ${count.toLocaleString("en-US")} stored ${b} messages`;
}

function independentScenario(ctx: ScenarioContext, id: string, kind: Kind): Scenario {
  const { options, systems } = ctx;
  const count = options.independentReplayMessages;
  const value = messageValue();
  const js = systems.jetstream;
  const go = ctx.clients.go;
  const jsRatios: RatioTo[] = [
    ...(go ? [{ label: "JetStream nats.go", key: JS_GO_KEY }] : []),
    { label: "JetStream nats.js", key: JS_JS_KEY },
  ];

  // g3 replays streams filled once per system; g1 and g2 publish into a fresh stream per row.
  const filled = new Map<LbSystem | JetStreamSystem, Promise<string>>();
  const replayStream = (system: LbSystem | JetStreamSystem) => {
    let stream = filled.get(system);
    if (!stream) {
      const name = freshStreamName(`${id}-${system.kind}`);
      stream = createStream(system, name)
        .then(() => fillStream(system, name, value, count))
        .then(() => name);
      filled.set(system, stream);
    }
    return stream;
  };
  const streamFor = (system: LbSystem | JetStreamSystem) => {
    let name = "";
    return {
      name: () => name,
      setup: async () => {
        if (kind === "replay") {
          name = await replayStream(system);
        } else {
          name = freshStreamName(id);
          await createStream(system, name);
        }
      },
      teardown: async () => {
        if (kind !== "replay" && name) await deleteStream(system, name);
      },
    };
  };
  const driverFlags = (stream: string) => ({
    stream,
    window: kind === "publish-async" ? INDEPENDENT_WINDOW : undefined,
    count: kind === "replay" ? count : undefined,
    ack: kind === "replay" ? undefined : ("leader" as const),
  });

  const lbRow = (client: IndependentClient, lb: LbSystem): Contender => {
    const stream = streamFor(lb);
    return {
      system: lb.label,
      client: `${client.name} (${client.calls?.[kind] ?? CALL[kind]})`,
      ratioTo: [...jsRatios, { label: "null server", key: `null-${client.id}` }],
      serverCpu: systemCpu(lb, kind === "replay" ? undefined : stream.name),
      setup: stream.setup,
      run: driverRun(client.driver, LB_MODE[kind], options, () => ({
        address: lb.broker.address,
        ...driverFlags(stream.name()),
      })),
      teardown: stream.teardown,
    };
  };

  const nodeNull = new SharedServer(
    async () => {
      const broker = await startNullBrokerProcess({ replayCount: count, size: MESSAGE_BYTES });
      const api = new ApiClient(broker.address, credentials.createInsecure());
      return { ...broker, api, acked: () => ackedByNullBroker(api) };
    },
    async (server) => {
      server.api.close();
      await server.stop();
    },
  );
  const goNull = new SharedServer<DriverServer>(
    async () =>
      startDriverServer(go!, {
        listen: `127.0.0.1:${await freePort()}`,
        replayCount: count,
        size: MESSAGE_BYTES,
      }),
    (server) => server.stop(),
  );
  const nullRow = (client: IndependentClient): Contender => {
    const shared = client.nullServer === "go" ? goNull : nodeNull;
    let server: { address: string; pid: number; acked?: () => Promise<number> } | undefined;
    let release: (() => Promise<void>) | undefined;
    return {
      system: client.nullServer === "go" ? `${NULL_SYSTEM}, grpc-go` : NULL_SYSTEM,
      client: `${client.name} (${client.calls?.[kind] ?? CALL[kind]})`,
      key: `null-${client.id}`,
      ratioTo: jsRatios,
      // A replay is counted whole; publishes by what the server acked, which only ours reports.
      serverCpu:
        kind === "replay" || client.nullServer === "node"
          ? {
              pid: () => server!.pid,
              processed: kind === "replay" ? undefined : () => server!.acked!(),
            }
          : undefined,
      setup: async () => {
        ({ server, release } = await shared.acquire());
      },
      run: driverRun(client.driver, LB_MODE[kind], options, () => ({
        address: server!.address,
        ...driverFlags("null"),
      })),
      teardown: async () => {
        await release?.();
      },
    };
  };

  const jsRows: Contender[] = [];
  if (go) {
    const stream = streamFor(js);
    jsRows.push({
      system: js.label,
      client: `nats.go (${jsCall(kind)})`,
      key: JS_GO_KEY,
      serverCpu: systemCpu(js, kind === "replay" ? undefined : stream.name),
      setup: stream.setup,
      run: driverRun(go, JS_MODE[kind], options, () => ({
        natsUrl: js.nats.url,
        subject: stream.name(),
        ...driverFlags(stream.name()),
      })),
      teardown: stream.teardown,
    });
  }
  {
    const stream = streamFor(js);
    const timing = { ...options, messageBytes: MESSAGE_BYTES };
    jsRows.push({
      system: js.label,
      client: `nats.js (${jsCall(kind)}, in the harness)`,
      key: JS_JS_KEY,
      serverCpu: systemCpu(js, kind === "replay" ? undefined : stream.name),
      setup: stream.setup,
      run: async () => {
        if (kind === "replay") {
          const seconds = await replayJetStream(js, stream.name(), count);
          return { messages: count, seconds, messageBytes: MESSAGE_BYTES };
        }
        const window = kind === "publish-async" ? INDEPENDENT_WINDOW : 1;
        return runWindowed(window, timing, () => js.js.publish(stream.name(), value));
      },
      teardown: stream.teardown,
    });
  }

  const rows: Contender[] = [];
  for (const client of independentClients(ctx)) {
    rows.push(...systems.lb.map((lb) => lbRow(client, lb)), nullRow(client));
  }
  return {
    id,
    title: title(kind, count),
    compare: "rate",
    contenders: [...rows, ...jsRows],
  };
}

function jsCall(kind: Kind): string {
  if (kind === "publish-async") return `async publish, ${INDEPENDENT_WINDOW} in flight`;
  if (kind === "publish") return "publish, one at a time";
  return "ordered consumer from the first message";
}

/** How many requests bench/null-broker.ts has acked (its FetchPartitionMetadata says). */
function ackedByNullBroker(api: ApiClient): Promise<number> {
  return new Promise((resolve, reject) =>
    api.fetchPartitionMetadata({ stream: "null", partition: 0 }, (err, response) => {
      if (err) reject(new Error(`null broker FetchPartitionMetadata: ${err.message}`));
      else resolve((response?.metadata?.highWatermark ?? -1) + 1);
    }),
  );
}
