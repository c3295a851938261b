import { performance } from "node:perf_hooks";
import { consumerOpts } from "nats";
import type { AsyncPublisher, Subscription } from "../../src/client/index.js";
import { runPaced } from "../drivers.js";
import { LatencyRecorder, type RunResult } from "../stats.js";
import { createStream, deleteStream, freshStreamName, type LbSystem } from "../systems.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

export const END_TO_END_RATE = 5000;
const ARRIVAL_TIMEOUT_MS = 15_000;

/**
 * Receives the stamped messages of one run: each value starts with the time it was due to be
 * sent (float64, performance.now() ms) and a byte saying whether it is measured.
 */
class Arrivals {
  latency = new LatencyRecorder();
  private expected = 0;
  private settle?: () => void;

  receive(value: Uint8Array): void {
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    if (value[8] !== 1) return;
    this.latency.record((performance.now() - view.getFloat64(0)) * 1000);
    if (this.latency.size >= this.expected) this.settle?.();
  }

  /** Resolves once `expected` measured messages arrived. */
  async all(expected: number): Promise<void> {
    this.expected = expected;
    if (this.latency.size >= expected) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      this.settle = resolve;
      timer = setTimeout(
        () =>
          reject(
            new Error(`only ${this.latency.size} of ${expected} messages reached the subscriber`),
          ),
        ARRIVAL_TIMEOUT_MS,
      );
    }).finally(() => clearTimeout(timer));
  }
}

function stamp(template: Uint8Array, dueAt: number, measured: boolean): Uint8Array {
  const value = new Uint8Array(template);
  new DataView(value.buffer).setFloat64(0, dueAt);
  value[8] = measured ? 1 : 0;
  return value;
}

/**
 * Publishes at END_TO_END_RATE while `read` hands every arriving value to `receive`, and
 * measures each message's latency from its due time to its arrival.
 */
async function pacedEndToEnd(
  read: (receive: (value: Uint8Array) => void) => Promise<void>,
  stopReading: () => void,
  publish: (value: Uint8Array) => Promise<unknown>,
  timing: Parameters<typeof runPaced>[1],
  template: Uint8Array,
): Promise<RunResult> {
  const arrivals = new Arrivals();
  const reading = read((value) => arrivals.receive(value));
  let failed: unknown;
  const paced = await runPaced(END_TO_END_RATE, timing, (dueAt, measured) => {
    publish(stamp(template, dueAt, measured)).catch((err) => {
      failed ??= err;
    });
  });
  try {
    await arrivals.all(paced.sent);
  } finally {
    stopReading();
    await reading.catch(() => undefined);
  }
  if (failed) throw failed;
  return {
    messages: paced.sent,
    seconds: paced.seconds,
    messageBytes: MESSAGE_BYTES,
    latency: arrivals.latency.percentiles(),
  };
}

/** (d) End-to-end latency, publish to subscriber, at a fixed 5,000 msgs/s. */
export function endToEndScenario(ctx: ScenarioContext): Scenario {
  const timing = { ...ctx.options, messageBytes: MESSAGE_BYTES };
  const template = messageValue();
  const lbContender = (lb: LbSystem): Contender => {
    const stream = freshStreamName("d");
    let publisher: AsyncPublisher;
    return {
      system: lb.label,
      client: "lb TS client publisher() → subscribe() (for await)",
      setup: async () => {
        await createStream(lb, stream);
        publisher = lb.client.publisher();
      },
      run: async () => {
        const subscription: Subscription = await lb.client.subscribe(stream);
        return pacedEndToEnd(
          (receive) =>
            (async () => {
              for await (const message of subscription) receive(message.value);
            })(),
          () => subscription.cancel(),
          (value) => publisher.publish(stream, value),
          timing,
          template,
        );
      },
      teardown: async () => {
        await publisher.close();
        await deleteStream(lb, stream);
      },
    };
  };
  const js = ctx.systems.jetstream;
  const jsStream = freshStreamName("d-js");
  return {
    id: "d",
    title: `end-to-end latency, publish → subscriber, ${END_TO_END_RATE.toLocaleString("en-US")} msgs/s`,
    compare: "p99",
    contenders: [
      ...ctx.systems.lb.map(lbContender),
      {
        system: js.label,
        client: "nats.js js.publish() → ordered push consumer js.subscribe()",
        reference: true,
        setup: () => createStream(js, jsStream),
        run: async () => {
          const opts = consumerOpts();
          opts.orderedConsumer();
          opts.deliverNew();
          const messages = await js.js.subscribe(jsStream, opts);
          return pacedEndToEnd(
            (receive) =>
              (async () => {
                for await (const message of messages) receive(message.data);
              })(),
            () => messages.unsubscribe(),
            (value) => js.js.publish(jsStream, value),
            timing,
            template,
          );
        },
        teardown: () => deleteStream(js, jsStream),
      },
    ],
  };
}
