import { performance } from "node:perf_hooks";
import type { ServiceError } from "@grpc/grpc-js";
import { consumerOpts } from "nats";
import { StartPosition, StopPosition } from "../../src/wire/api.js";
import type { RunResult } from "../stats.js";
import {
  createStream,
  deleteStream,
  freshStreamName,
  type JetStreamSystem,
  type LbSystem,
} from "../systems.js";
import { driverRun, NATS_GO_KEY, natsGoRatio, systemCpu } from "./driver-rows.js";
import { fillStream } from "./plain-publish.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

/** gRPC status RESOURCE_EXHAUSTED: Liftbridge's normal end of a subscription at its stop offset. */
const END_OF_STREAM = 8;

/** (c) Replay of N stored messages from the earliest offset. */
export function replayScenario(ctx: ScenarioContext): Scenario {
  const count = ctx.options.replayMessages;
  const value = messageValue();
  const lb = ctx.systems.lb[0]!;
  const js = ctx.systems.jetstream;
  const lbStream = freshStreamName("c");
  const jsStream = freshStreamName("c-js");
  const result = (seconds: number): RunResult => ({
    messages: count,
    seconds,
    messageBytes: MESSAGE_BYTES,
  });
  let lbFilled: Promise<unknown> | undefined;
  const fillLb = () => {
    lbFilled ??= createStream(lb, lbStream).then(() => fillStream(lb, lbStream, value, count));
    return lbFilled.then(() => undefined);
  };
  let jsFilled: Promise<unknown> | undefined;
  const fillJs = () => {
    jsFilled ??= createStream(js, jsStream).then(() => fillStream(js, jsStream, value, count));
    return jsFilled.then(() => undefined);
  };
  const go = ctx.clients.go;
  const ratioTo = natsGoRatio(go);
  const natsGo: Contender[] = go
    ? [
        {
          system: js.label,
          client: "nats.go ordered consumer (Go driver)",
          key: NATS_GO_KEY,
          serverCpu: systemCpu(js, undefined),
          setup: fillJs,
          run: driverRun(go, "js-replay", ctx.options, () => ({
            natsUrl: js.nats.url,
            stream: jsStream,
            subject: jsStream,
            count,
          })),
        },
      ]
    : [];
  return {
    id: "c",
    title: `replay of ${count.toLocaleString("en-US")} stored ${MESSAGE_BYTES} B messages from earliest`,
    compare: "rate",
    contenders: [
      {
        system: lb.label,
        client: "lb TS client subscribe() (for await)",
        ratioTo,
        serverCpu: systemCpu(lb, undefined),
        setup: fillLb,
        run: async () => result(await replayWithClient(lb, lbStream, count)),
      },
      {
        system: lb.label,
        client: "raw grpc-js ApiClient.subscribe ('data' events)",
        ratioTo,
        serverCpu: systemCpu(lb, undefined),
        setup: fillLb,
        run: async () => result(await replayWithApiClient(lb, lbStream, count)),
        teardown: () => deleteStream(lb, lbStream),
      },
      {
        system: js.label,
        client: "nats.js ordered push consumer js.subscribe()",
        reference: true,
        serverCpu: systemCpu(js, undefined),
        setup: fillJs,
        run: async () => result(await replayJetStream(js, jsStream, count)),
        teardown: () => deleteStream(js, jsStream),
      },
      ...natsGo,
    ],
  };
}

async function replayWithClient(lb: LbSystem, stream: string, count: number): Promise<number> {
  const start = performance.now();
  const subscription = await lb.client.subscribe(stream, {
    start: { kind: "earliest" },
    stop: { kind: "offset", offset: count - 1 },
  });
  let received = 0;
  for await (const _ of subscription) received++;
  if (received !== count) throw new Error(`replay got ${received} of ${count} messages`);
  return (performance.now() - start) / 1000;
}

function replayWithApiClient(lb: LbSystem, stream: string, count: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const call = lb.api.subscribe({
      stream,
      partition: 0,
      startPosition: StartPosition.EARLIEST,
      stopPosition: StopPosition.STOP_OFFSET,
      stopOffset: count - 1,
    });
    // The first message is the empty handshake.
    let received = -1;
    call.on("data", () => {
      received++;
    });
    call.on("error", (err: ServiceError) => {
      if (err.code === END_OF_STREAM && received === count) {
        resolve((performance.now() - start) / 1000);
      } else {
        reject(new Error(`replay got ${received} of ${count} messages: ${err.message}`));
      }
    });
  });
}

export async function replayJetStream(
  js: JetStreamSystem,
  stream: string,
  count: number,
): Promise<number> {
  const start = performance.now();
  const opts = consumerOpts();
  opts.orderedConsumer();
  opts.deliverAll();
  const subscription = await js.js.subscribe(stream, opts);
  let received = 0;
  for await (const _ of subscription) {
    if (++received >= count) break;
  }
  return (performance.now() - start) / 1000;
}
