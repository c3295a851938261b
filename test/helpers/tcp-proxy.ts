import net from "node:net";
import type { Teardown } from "./tmp.js";

/** A loopback TCP proxy that a test can cut (drop every connection, refuse new ones) and heal. */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  heal(): Promise<void>;
}

export async function startTcpProxy(
  t: Teardown,
  target: { host: string; port: number },
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port }, () => {
        server.off("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  t.teardown(close);
  return {
    port,
    cut: close,
    heal: async () => {
      await listen(port);
    },
  };
}
