import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import type { FetchMetadataResponse } from "../../src/wire/api.js";
import { type ClusterNode, clusterStatusOf, startCluster } from "../helpers/cluster.js";
import { freePort, startNats } from "../helpers/nats.js";
import { call, failure, rawClient } from "../helpers/rpc.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

/** Small enough that a few hundred partitions, or a few hundred streams, exceed one message. */
const MAX_PAYLOAD = 16 * 1024;

function metadataOf(t: ExecutionContext, address: string): Promise<FetchMetadataResponse> {
  return call<unknown, FetchMetadataResponse>(rawClient(t, address), "fetchMetadata", {});
}

function createStream(t: ExecutionContext, address: string, name: string, partitions = 1) {
  return call(rawClient(t, address), "createStream", {
    name,
    subject: `subject.${name}`,
    partitions,
    replicationFactor: 1,
  });
}

async function streamNames(t: ExecutionContext, address: string): Promise<string[]> {
  return (await metadataOf(t, address)).streamMetadata.map((s) => s.name).sort();
}

/** The controller all `nodes` agree on, once they do. */
async function agreedController(t: ExecutionContext, nodes: ClusterNode[]): Promise<string> {
  let controller = "";
  await waitFor(
    async () => {
      const views = await Promise.all(nodes.map((n) => clusterStatusOf(t, n.address)));
      controller = views[0]!.controller;
      return controller !== "" && views.every((v) => v.controller === controller);
    },
    { timeoutMs: 15_000, message: "the brokers to agree on a controller" },
  );
  return controller;
}

/** A loopback TCP proxy whose target can be changed (new connections go to the new one). */
async function startSwitchableProxy(
  t: ExecutionContext,
  initial: number,
): Promise<{ url: string; retarget(port: number): void }> {
  let target = initial;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  return { url: `nats://127.0.0.1:${port}`, retarget: (p) => (target = p) };
}

/** The JSON log lines of a broker's stderr with message `msg`. */
function logLines(node: ClusterNode, msg: string): Record<string, unknown>[] {
  return (node.process?.stderr() ?? "")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

test("under a small NATS max_payload, a returning follower catches up from a snapshot sent in chunks", async (t) => {
  const cluster = await startCluster(
    t,
    3,
    { "clustering.raft.snapshot.threshold": 20 },
    { nats: { maxPayload: MAX_PAYLOAD } },
  );
  const controller = await agreedController(t, cluster.nodes);
  const followers = cluster.nodes.filter((n) => n.id !== controller);
  const away = followers[0]!;
  const stays = cluster.node(controller);
  await away.kill("SIGTERM");
  // Once it is marked down, no new partition is placed on it.
  await waitFor(async () => (await metadataOf(t, stays.address)).brokers.length === 2, {
    timeoutMs: 15_000,
    message: "the stopped broker to leave the metadata",
  });
  const names = Array.from({ length: 320 }, (_, i) => `stream-${String(i).padStart(3, "0")}`);
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        await createStream(t, stays.address, name);
      }
    }),
  );
  t.deepEqual(await streamNames(t, stays.address), names);

  await away.start();
  await waitFor(async () => (await streamNames(t, away.address)).join() === names.join(), {
    timeoutMs: 30_000,
    message: `${away.id} to list all ${names.length} streams`,
  });
  const sent = logLines(stays, "sent a Raft message in chunks").filter(
    (line) => line.to === away.id && line.type === "snapshot",
  );
  t.true(sent.length > 0, "the controller sent the snapshot in chunks");
  t.true((sent[0]!.bytes as number) > MAX_PAYLOAD, `snapshot of ${sent[0]!.bytes} bytes`);
  t.true((sent[0]!.chunks as number) > 1);
  // The returned follower is a full member again: a change made through it reaches everyone.
  await createStream(t, away.address, "after-catch-up");
  for (const node of cluster.nodes) {
    await waitFor(async () => (await streamNames(t, node.address)).includes("after-catch-up"), {
      message: `${node.id} to list the stream created after the catch-up`,
    });
  }
});

test("a change too large for one NATS message is refused with InvalidArgument; the cluster goes on and restarts", async (t) => {
  const cluster = await startCluster(t, 3, {}, { nats: { maxPayload: MAX_PAYLOAD } });
  const controller = await agreedController(t, cluster.nodes);
  const follower = cluster.nodes.find((n) => n.id !== controller)!;
  for (const node of [follower, cluster.node(controller)]) {
    const err = await failure(createStream(t, node.address, "huge", 400));
    t.is(err.code, status.INVALID_ARGUMENT, `${node.id}: ${err.details}`);
    t.regex(
      err.details,
      /metadata change createStream is \d+ bytes encoded, more than the \d+ bytes one metadata Raft entry can carry \(the NATS max_payload of 16384 bytes/,
    );
  }
  await createStream(t, follower.address, "after", 3);
  for (const node of cluster.nodes) {
    await waitFor(async () => (await streamNames(t, node.address)).join() === "after", {
      message: `${node.id} to list only the stream created after the refusal`,
    });
  }

  await Promise.all(cluster.nodes.map((n) => n.kill("SIGTERM")));
  await Promise.all(cluster.nodes.map((n) => n.start()));
  await agreedController(t, cluster.nodes);
  await createStream(t, follower.address, "later");
  for (const node of cluster.nodes) {
    await waitFor(async () => (await streamNames(t, node.address)).join() === "after,later", {
      message: `${node.id} to list the streams after the restart`,
    });
  }
});

test("an entry larger than one NATS message, written under a larger max_payload, still reaches a follower (in chunks)", async (t) => {
  // The brokers first run against a nats-server with the default 1 MiB max_payload, then
  // against one with a small max_payload, as after an upgrade of an older cluster.
  const large = await startNats(t);
  const proxy = await startSwitchableProxy(t, large.port);
  let small = 0;
  const cluster = await startCluster(
    t,
    3,
    {},
    {
      nats: { maxPayload: MAX_PAYLOAD },
      natsUrlFor: async (_id, smallUrl) => {
        small = Number(new URL(smallUrl).port);
        return proxy.url;
      },
    },
  );
  const controller = await agreedController(t, cluster.nodes);
  const away = cluster.nodes.find((n) => n.id !== controller)!;
  const stays = cluster.node(controller);
  await away.kill("SIGTERM");
  await waitFor(async () => (await metadataOf(t, stays.address)).brokers.length === 2, {
    timeoutMs: 15_000,
    message: "the stopped broker to leave the metadata",
  });
  await createStream(t, stays.address, "huge", 400);
  const others = cluster.nodes.filter((n) => n !== away);
  await Promise.all(others.map((n) => n.kill("SIGTERM")));

  proxy.retarget(small);
  await Promise.all(cluster.nodes.map((n) => n.start()));
  await waitFor(async () => (await streamNames(t, away.address)).join() === "huge", {
    timeoutMs: 30_000,
    message: `${away.id} to receive the oversized entry`,
  });
  const leader = cluster.node(await agreedController(t, cluster.nodes));
  const warned = logLines(
    leader,
    "the metadata log holds an entry larger than one NATS message (written by an older version or under a larger max_payload); replicating it in chunks",
  );
  t.true(warned.length > 0, "the controller says it replicates an oversized entry");
  t.true((warned[0]!.bytes as number) > MAX_PAYLOAD);
  await createStream(t, away.address, "after");
  for (const node of cluster.nodes) {
    await waitFor(async () => (await streamNames(t, node.address)).join() === "after,huge", {
      message: `${node.id} to list both streams`,
    });
  }
});

test("the controller refuses a forwarded change too large for its NATS connection, and the follower's caller gets InvalidArgument", async (t) => {
  // Two routed nats-servers: the follower's takes 1 MiB messages, the controller's 16 KiB, so
  // only the controller can tell the change is too large.
  const [routeA, routeB] = [await freePort(), await freePort()];
  const dir = await makeTempDir("lb-nats-routes-", t);
  const routed = async (name: string, own: number, other: number) => {
    const file = join(dir, `${name}.conf`);
    await writeFile(
      file,
      `cluster { name: lbtest, listen: "127.0.0.1:${own}", routes: ["nats://127.0.0.1:${other}"] }\n`,
    );
    return file;
  };
  const large = await startNats(t, {
    configFile: await routed("large", routeA, routeB),
    host: "127.0.0.1",
    port: 0,
  });
  const small = await startNats(t, {
    configFile: await routed("small", routeB, routeA),
    host: "127.0.0.1",
    port: 0,
    maxPayload: MAX_PAYLOAD,
  });
  const cluster = await startCluster(
    t,
    2,
    {},
    {
      natsUrlFor: async (id) => (id === "b1" ? small.url : large.url),
    },
  );
  t.is(await agreedController(t, cluster.nodes), "b1", "the seed leads");
  const err = await failure(createStream(t, cluster.node("b2").address, "huge", 400));
  t.is(err.code, status.INVALID_ARGUMENT, err.details);
  t.regex(err.details, /createStream is \d+ bytes encoded, .* NATS max_payload of 16384 bytes/);
  await createStream(t, cluster.node("b2").address, "after");
  for (const node of cluster.nodes) {
    await waitFor(async () => (await streamNames(t, node.address)).join() === "after", {
      message: `${node.id} to list only the stream created after the refusal`,
    });
  }
});
