import type { NatsConnection } from "nats";
import type { AsyncPublisher, LiftbridgeClient } from "../../src/client/index.js";
import type { SyncPolicy } from "../broker-process.js";
import {
  CLUSTER_SIZE,
  createR3Stream,
  createReplicatedStream,
  type LbClusterSystem,
  startJetStreamCluster,
  startLbCluster,
  stopJetStreamCluster,
  stopLbCluster,
} from "../cluster-systems.js";
import { runWindowed } from "../drivers.js";
import { freshStreamName } from "../systems.js";
import { driverRun, NATS_GO_KEY, natsGoRatio, SharedServer } from "./driver-rows.js";
import { ASYNC_WINDOW } from "./publish-async.js";
import {
  type Contender,
  MESSAGE_BYTES,
  messageValue,
  type Scenario,
  type ScenarioContext,
} from "./types.js";

const SYNC_POLICIES: SyncPolicy[] = ["always", "none"];

/**
 * (e) Async publish with 100 in flight to a partition replicated on 3 lb brokers, ack ALL, vs a
 * 3-node JetStream cluster with an R3 stream; both publishers talk to the partition's (stream's)
 * leader. Each contender starts its cluster in setup and stops it in teardown, so the clusters
 * only run when this scenario is selected.
 */
export function clusterScenario(ctx: ScenarioContext): Scenario {
  const timing = { ...ctx.options, messageBytes: MESSAGE_BYTES };
  const value = messageValue();
  const go = ctx.clients.go;
  // One JetStream cluster serves the nats.js row and the nats.go row, each with its own stream.
  const jsCluster = new SharedServer(startJetStreamCluster, stopJetStreamCluster);
  const lbContender = (sync: SyncPolicy): Contender => {
    const stream = freshStreamName("e");
    let cluster: LbClusterSystem | undefined;
    let leaderClient: LiftbridgeClient | undefined;
    let publisher: AsyncPublisher | undefined;
    return {
      system: `lb sync=${sync}, ${CLUSTER_SIZE} brokers`,
      client: "lb TS client publisher() (gRPC PublishAsync), ack all",
      ratioTo: natsGoRatio(go),
      setup: async () => {
        cluster = await startLbCluster(sync);
        leaderClient = await createReplicatedStream(cluster, stream);
        publisher = leaderClient.publisher();
      },
      run: () =>
        runWindowed(ASYNC_WINDOW, timing, () =>
          publisher!.publish(stream, value, { ackPolicy: "all" }),
        ),
      teardown: async () => {
        await publisher?.close();
        leaderClient?.close();
        if (cluster) await stopLbCluster(cluster);
      },
    };
  };
  const jsContender = (): Contender => {
    const stream = freshStreamName("e-js");
    let leader: Awaited<ReturnType<typeof createR3Stream>> | undefined;
    let release: (() => Promise<void>) | undefined;
    return {
      system: `JetStream R${CLUSTER_SIZE} file, ${CLUSTER_SIZE} nodes`,
      client: "nats.js js.publish()",
      reference: true,
      setup: async () => {
        const acquired = await jsCluster.acquire();
        release = acquired.release;
        leader = await createR3Stream(acquired.server, stream);
      },
      run: () => runWindowed(ASYNC_WINDOW, timing, () => leader!.js.publish(stream, value)),
      teardown: async () => {
        await drain(leader?.nc);
        await release?.();
      },
    };
  };
  const natsGoContender = (driver: NonNullable<typeof go>): Contender => {
    const stream = freshStreamName("e-js-go");
    let leader: Awaited<ReturnType<typeof createR3Stream>> | undefined;
    let release: (() => Promise<void>) | undefined;
    return {
      system: `JetStream R${CLUSTER_SIZE} file, ${CLUSTER_SIZE} nodes`,
      client: `nats.go PublishAsync, ${ASYNC_WINDOW} in flight (Go driver)`,
      key: NATS_GO_KEY,
      setup: async () => {
        const acquired = await jsCluster.acquire();
        release = acquired.release;
        leader = await createR3Stream(acquired.server, stream);
      },
      run: driverRun(driver, "js-publish-async", ctx.options, () => ({
        natsUrl: leader!.url,
        stream,
        subject: stream,
        window: ASYNC_WINDOW,
      })),
      teardown: async () => {
        await drain(leader?.nc);
        await release?.();
      },
    };
  };
  return {
    id: "e",
    title: `async publish, ${MESSAGE_BYTES} B, ${ASYNC_WINDOW} in flight, ack all, RF ${CLUSTER_SIZE} / R${CLUSTER_SIZE}`,
    compare: "rate",
    contenders: [
      ...SYNC_POLICIES.map(lbContender),
      jsContender(),
      ...(go ? [natsGoContender(go)] : []),
    ],
  };
}

async function drain(nc: NatsConnection | undefined): Promise<void> {
  await nc?.drain().catch(() => undefined);
}
