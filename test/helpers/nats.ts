import net from "node:net";
import {
  type NatsServerHandle,
  type NatsServerOptions,
  startNatsServer,
} from "../../src/server/nats/launcher.js";
import type { Teardown } from "./tmp.js";

/**
 * A real nats-server on a free loopback port. With an ava `t`, it is stopped when the test
 * ends; otherwise call stop() yourself.
 */
export async function startNats(
  t?: Teardown,
  opts: NatsServerOptions = {},
): Promise<NatsServerHandle> {
  const server = await startNatsServer(opts);
  t?.teardown(() => server.stop());
  return server;
}

/**
 * A loopback TCP port that was free a moment ago. Another process can take it before it is
 * used; prefer letting servers pick their own port (port 0) where they can report it.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
