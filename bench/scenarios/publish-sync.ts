import { runWindowed } from "../drivers.js";
import { createStream, deleteStream, freshStreamName, type LbSystem } from "../systems.js";
import { DISK_SYNC_RATIO, diskSyncContender } from "./disk-sync.js";
import { driverRun, NATS_GO_KEY, natsGoRatio, systemCpu } from "./driver-rows.js";
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
  const go = ctx.clients.go;
  const lbContender = (lb: LbSystem): Contender => {
    const stream = freshStreamName("b");
    return {
      system: lb.label,
      client: "lb TS client publish() (one at a time on PublishAsync)",
      ratioTo: [...(natsGoRatio(go) ?? []), DISK_SYNC_RATIO],
      serverCpu: systemCpu(lb, () => stream),
      setup: () => createStream(lb, stream),
      run: () => runWindowed(1, timing, () => lb.client.publish(stream, value)),
      teardown: () => deleteStream(lb, stream),
    };
  };
  const js = ctx.systems.jetstream;
  const jsStream = freshStreamName("b-js");
  const goStream = freshStreamName("b-js-go");
  const natsGo: Contender[] = go
    ? [
        {
          system: js.label,
          client: "nats.go js.Publish(), one at a time (Go driver)",
          key: NATS_GO_KEY,
          serverCpu: systemCpu(js, () => goStream),
          setup: () => createStream(js, goStream),
          run: driverRun(go, "js-publish", ctx.options, () => ({
            natsUrl: js.nats.url,
            stream: goStream,
            subject: goStream,
          })),
          teardown: () => deleteStream(js, goStream),
        },
      ]
    : [];
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
        serverCpu: systemCpu(js, () => jsStream),
        setup: () => createStream(js, jsStream),
        run: () => runWindowed(1, timing, () => js.js.publish(jsStream, value)),
        teardown: () => deleteStream(js, jsStream),
      },
      ...natsGo,
      diskSyncContender(timing),
    ],
  };
}
