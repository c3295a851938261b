import { randomBytes } from "node:crypto";
import { type AsyncPublisher, LiftbridgeClient } from "../../src/client/index.js";
import { AckPolicy, decodeAck, encodeMessage } from "../../src/wire/api.js";
import { decodeEnvelope, encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startNullBrokerProcess } from "../broker-process.js";
import { runWindowed } from "../drivers.js";
import { createStream, deleteStream, freshStreamName, type LbSystem } from "../systems.js";
import { driverRun, NATS_GO_KEY, natsGoRatio, systemCpu } from "./driver-rows.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

export const ASYNC_WINDOW = 100;

/** (a) Async publish of 100-byte messages, 100 in flight, ack LEADER. */
export function publishAsyncScenario(ctx: ScenarioContext): Scenario {
  const timing = { ...ctx.options, messageBytes: MESSAGE_BYTES };
  const value = messageValue();
  const go = ctx.clients.go;
  const ratioTo = natsGoRatio(go);
  const viaGrpc = (lb: LbSystem): Contender => {
    const stream = freshStreamName("a-grpc");
    let publisher: AsyncPublisher;
    return {
      system: lb.label,
      client: "lb TS client publisher() (gRPC PublishAsync)",
      ratioTo,
      serverCpu: systemCpu(lb, () => stream),
      setup: async () => {
        await createStream(lb, stream);
        publisher = lb.client.publisher();
      },
      run: () => runWindowed(ASYNC_WINDOW, timing, () => publisher.publish(stream, value)),
      teardown: async () => {
        await publisher.close();
        await deleteStream(lb, stream);
      },
    };
  };
  const viaNats = (lb: LbSystem): Contender => {
    const stream = freshStreamName("a-nats");
    const acks = new EnvelopeAcks(lb);
    return {
      system: lb.label,
      client: "nats.js, Liftbridge envelopes with an ack inbox",
      ratioTo,
      serverCpu: systemCpu(lb, () => stream),
      setup: async () => {
        await createStream(lb, stream);
        await acks.start();
      },
      run: () => runWindowed(ASYNC_WINDOW, timing, () => acks.publish(stream, value)),
      teardown: async () => {
        acks.stop();
        await deleteStream(lb, stream);
      },
    };
  };
  const clientBound: Contender = (() => {
    let broker: Awaited<ReturnType<typeof startNullBrokerProcess>> | undefined;
    let client: LiftbridgeClient | undefined;
    let publisher: AsyncPublisher | undefined;
    return {
      system: "null broker (acks at once, stores nothing)",
      client: "lb TS client publisher() (gRPC PublishAsync)",
      ratioTo,
      setup: async () => {
        broker = await startNullBrokerProcess();
        client = await LiftbridgeClient.connect([broker.address]);
        publisher = client.publisher();
      },
      run: () => runWindowed(ASYNC_WINDOW, timing, () => publisher!.publish("null", value)),
      teardown: async () => {
        await publisher?.close();
        client?.close();
        await broker?.stop();
      },
    };
  })();
  const js = ctx.systems.jetstream;
  const jsStream = freshStreamName("a-js");
  const goStream = freshStreamName("a-js-go");
  const natsGo: Contender[] = go
    ? [
        {
          system: js.label,
          client: `nats.go PublishAsync, ${ASYNC_WINDOW} in flight (Go driver)`,
          key: NATS_GO_KEY,
          serverCpu: systemCpu(js, () => goStream),
          setup: () => createStream(js, goStream),
          run: driverRun(go, "js-publish-async", ctx.options, () => ({
            natsUrl: js.nats.url,
            stream: goStream,
            subject: goStream,
            window: ASYNC_WINDOW,
          })),
          teardown: () => deleteStream(js, goStream),
        },
      ]
    : [];
  return {
    id: "a",
    title: `async publish, ${MESSAGE_BYTES} B, ${ASYNC_WINDOW} in flight, ack leader / R1`,
    compare: "rate",
    contenders: [
      ...ctx.systems.lb.map(viaGrpc),
      clientBound,
      ...ctx.systems.lb.map(viaNats),
      {
        system: js.label,
        client: "nats.js js.publish()",
        reference: true,
        serverCpu: systemCpu(js, () => jsStream),
        setup: () => createStream(js, jsStream),
        run: () => runWindowed(ASYNC_WINDOW, timing, () => js.js.publish(jsStream, value)),
        teardown: () => deleteStream(js, jsStream),
      },
      ...natsGo,
    ],
  };
}

/**
 * Publishes Liftbridge envelopes straight to a stream's NATS subject and waits for the
 * leader's ack on an inbox of our own, matched by correlation id.
 */
class EnvelopeAcks {
  private readonly inbox = `bench.acks.${randomBytes(6).toString("hex")}`;
  private readonly pending = new Map<string, () => void>();
  private counter = 0;
  private subscription?: ReturnType<LbSystem["nc"]["subscribe"]>;

  constructor(private readonly lb: LbSystem) {}

  async start(): Promise<void> {
    this.subscription = this.lb.nc.subscribe(this.inbox, {
      callback: (err, msg) => {
        if (err) return;
        const envelope = decodeEnvelope(msg.data);
        if (envelope?.type !== MsgType.Ack) return;
        const ack = decodeAck(envelope.payload);
        const resolve = this.pending.get(ack.correlationId);
        if (!resolve) return;
        this.pending.delete(ack.correlationId);
        resolve();
      },
    });
    await this.lb.nc.flush();
  }

  publish(stream: string, value: Uint8Array): Promise<void> {
    const correlationId = (++this.counter).toString(36);
    const message = encodeMessage({
      value,
      ackInbox: this.inbox,
      correlationId,
      ackPolicy: AckPolicy.LEADER,
    });
    return new Promise((resolve) => {
      this.pending.set(correlationId, resolve);
      this.lb.nc.publish(stream, encodeEnvelope(MsgType.Publish, message));
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}
