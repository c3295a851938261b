import { runWindowed } from "../drivers.js";
import { createStream, deleteStream, freshStreamName, type LbSystem } from "../systems.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

/** (b) Synchronous publish: one message at a time, each waiting for its ack. */
export function publishSyncScenario(ctx: ScenarioContext): Scenario {
  const timing = { ...ctx.options, messageBytes: MESSAGE_BYTES };
  const value = messageValue();
  const lbContender = (lb: LbSystem): Contender => {
    const stream = freshStreamName("b");
    return {
      system: lb.label,
      client: "lb TS client publish() (one at a time on PublishAsync)",
      setup: () => createStream(lb, stream),
      run: () => runWindowed(1, timing, () => lb.client.publish(stream, value)),
      teardown: () => deleteStream(lb, stream),
    };
  };
  const js = ctx.systems.jetstream;
  const jsStream = freshStreamName("b-js");
  return {
    id: "b",
    title: `synchronous publish, ${MESSAGE_BYTES} B, one at a time, ack leader / R1`,
    compare: "p99",
    contenders: [
      ...ctx.systems.lb.map(lbContender),
      {
        system: js.label,
        client: "nats.js await js.publish()",
        reference: true,
        setup: () => createStream(js, jsStream),
        run: () => runWindowed(1, timing, () => js.js.publish(jsStream, value)),
        teardown: () => deleteStream(js, jsStream),
      },
    ],
  };
}
