import { Server, ServerCredentials, type ServiceDefinition } from "@grpc/grpc-js";
import type { ServiceImplementation } from "./calls.js";
import type { TlsFiles } from "./http2-server.js";

/** What the broker needs of its gRPC server, whichever implementation serves. */
export interface RpcServer {
  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void;
  /** Resolves with the bound port; rejects with the listen error. */
  listen(host: string, port: number, tls?: TlsFiles): Promise<number>;
  /** Stops accepting and calls back when the calls in flight have finished. */
  tryShutdown(callback: (err?: Error) => void): void;
  forceShutdown(): void;
}

/** grpc-js's own server (LB_GRPC_SERVER=grpc-js): the reference, and the benchmark baseline. */
export class GrpcJsServer implements RpcServer {
  private readonly server: Server;

  constructor(limits: {
    maxMessageBytes: number;
    maxConcurrentStreams: number;
    maxSessionMemoryBytes: number;
  }) {
    this.server = new Server({
      "grpc.max_receive_message_length": limits.maxMessageBytes,
      "grpc.max_send_message_length": limits.maxMessageBytes,
      "grpc.max_concurrent_streams": limits.maxConcurrentStreams,
      // node:http2 counts this in MB.
      "grpc-node.max_session_memory": Math.max(
        1,
        Math.ceil(limits.maxSessionMemoryBytes / 2 ** 20),
      ),
    });
  }

  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    this.server.addService(definition, implementation);
  }

  listen(host: string, port: number, tls?: TlsFiles): Promise<number> {
    const credentials = tls
      ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
      : ServerCredentials.createInsecure();
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, credentials, (err, bound) =>
        err ? reject(err) : resolve(bound),
      );
    });
  }

  tryShutdown(callback: (err?: Error) => void): void {
    this.server.tryShutdown(callback);
  }

  forceShutdown(): void {
    this.server.forceShutdown();
  }
}
