import { lookup } from "node:dns/promises";
import http2 from "node:http2";
import { isIP } from "node:net";
import { type MethodDefinition, type ServiceDefinition, status } from "@grpc/grpc-js";
import { FrameDecoder, MemoryBudget } from "../../wire/grpc-frames.js";
import { Http2Call } from "./call.js";
import type { CallHandler, ServiceImplementation } from "./calls.js";
import { parseTimeout, percentEncode, TRAILERS_ONLY_HEADERS } from "./protocol.js";
import type { RpcServer } from "./rpc-server.js";

const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;
const DEFAULT_MAX_SESSION_MEMORY_BYTES = 256 * 1024 * 1024;
const MIB = 1024 * 1024;
/** Per-stream receive window we advertise; Node's default (64 KiB) throttles PublishAsync. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
const SESSION_WINDOW_BYTES = 16 * 1024 * 1024;

export interface Http2GrpcServerOptions {
  maxReceiveMessageBytes?: number;
  maxSendMessageBytes?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: calls open at once on one connection. */
  maxConcurrentStreams?: number;
  /**
   * Memory one connection may hold: partly received request messages across its streams, and
   * node:http2's own session memory (queued frames, header tables), which refuses new streams
   * above it.
   */
  maxSessionMemoryBytes?: number;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

interface Route {
  // biome-ignore lint/suspicious/noExplicitAny: definitions come typed per method.
  method: MethodDefinition<any, any>;
  handler: CallHandler;
}

type Server = http2.Http2Server | http2.Http2SecureServer;

/**
 * A gRPC server on node:http2 with its own framing, for the services lb defines with grpc-js
 * ServiceDefinitions. It speaks what grpc-js's server speaks on the wire, but coalesces the
 * messages a streaming call writes in one event-loop turn into one HTTP/2 write.
 */
export class Http2GrpcServer implements RpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly budgets = new WeakMap<http2.Http2Session, MemoryBudget>();
  private readonly maxReceive: number;
  private readonly maxSend: number;
  private readonly maxStreams: number;
  private readonly maxSessionMemory: number;

  constructor(options: Http2GrpcServerOptions = {}) {
    this.maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxSend = options.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxStreams = options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
    this.maxSessionMemory = options.maxSessionMemoryBytes ?? DEFAULT_MAX_SESSION_MEMORY_BYTES;
  }

  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler =
        implementation[name] ??
        (method.originalName ? implementation[method.originalName] : undefined);
      if (!handler) continue;
      this.routes.set(method.path, { method, handler });
    }
  }

  /**
   * Listens on every address `host` resolves to (as grpc-js does for `localhost`), all on one
   * port; resolves with that port.
   */
  async listen(host: string, port: number, tls?: TlsFiles): Promise<number> {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    const addresses = isIP(bare)
      ? [bare]
      : [...new Set((await lookup(bare, { all: true })).map((a) => a.address))];
    let bound = port;
    try {
      for (const address of addresses) bound = await this.listenOn(address, bound, tls);
    } catch (err) {
      this.forceShutdown();
      throw err;
    }
    return bound;
  }

  /** Stops accepting, lets calls in flight finish (GOAWAY), then calls `callback`. */
  tryShutdown(callback: (err?: Error) => void): void {
    let open = this.servers.length;
    if (open === 0) {
      queueMicrotask(() => callback());
      return;
    }
    for (const server of this.servers) {
      server.close(() => {
        if (--open === 0) callback();
      });
    }
    for (const session of this.sessions) session.close();
  }

  /** Closes every connection now. */
  forceShutdown(): void {
    for (const server of this.servers) server.close();
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
  }

  private listenOn(address: string, port: number, tls?: TlsFiles): Promise<number> {
    const options: http2.SecureServerOptions = {
      // node:http2 counts this in MB.
      maxSessionMemory: Math.max(1, Math.ceil(this.maxSessionMemory / MIB)),
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      settings: {
        initialWindowSize: STREAM_WINDOW_BYTES,
        maxConcurrentStreams: this.maxStreams,
      },
    };
    const server: Server = tls
      ? http2.createSecureServer({ ...options, cert: tls.cert, key: tls.key, allowHTTP1: false })
      : http2.createServer(options);
    server.on("session", (session) => this.track(session));
    server.on("stream", (stream, headers) => this.dispatch(stream, headers));
    server.on("sessionError", () => undefined);
    server.setTimeout(0);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        const info = server.address();
        resolve(typeof info === "object" && info ? info.port : port);
      });
    });
  }

  private track(session: http2.ServerHttp2Session): void {
    // Clients reset streams and drop connections; that is not the server's error.
    session.on("error", () => undefined);
    this.sessions.add(session);
    this.budgets.set(session, new MemoryBudget(this.maxSessionMemory));
    session.once("close", () => this.sessions.delete(session));
    try {
      session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    } catch {
      // the session closed already
    }
  }

  private dispatch(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => undefined);
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || !contentType.startsWith("application/grpc")) {
      respondAlone(stream, { ":status": http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE });
      return;
    }
    const path = String(headers[":path"]);
    if (headers[":method"] !== "POST") {
      respondAlone(stream, {
        ":status": http2.constants.HTTP_STATUS_METHOD_NOT_ALLOWED,
        "grpc-status": status.UNIMPLEMENTED,
        "grpc-message": percentEncode(`gRPC requires POST, not ${headers[":method"]}`),
      });
      return;
    }
    const route = this.routes.get(path);
    if (!route) {
      refuse(stream, status.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      refuse(stream, status.UNIMPLEMENTED, `Unsupported encoding "${encoding}"`, {
        "grpc-accept-encoding": "identity",
      });
      return;
    }
    let deadline: number | undefined;
    const timeout = headers["grpc-timeout"];
    if (typeof timeout === "string") {
      const ms = parseTimeout(timeout);
      if (ms === undefined) {
        refuse(stream, status.INTERNAL, `Invalid grpc-timeout value "${timeout}"`);
        return;
      }
      deadline = Date.now() + ms;
    }
    this.start(stream, headers, route, deadline);
  }

  private start(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    { method, handler }: Route,
    deadline: number | undefined,
  ): void {
    const call = new Http2Call(stream, headers, method.responseSerialize, this.maxSend, deadline);
    const decoder = new FrameDecoder(this.maxReceive, this.budgets.get(stream.session!));
    const run = (...args: unknown[]) => {
      try {
        handler(call, ...args);
      } catch {
        call.sendStatus(status.UNKNOWN, "Unknown error");
      }
    };
    if (method.requestStream) {
      call.receive(
        decoder,
        method.requestDeserialize,
        (message) => call.emit("data", message),
        () => call.emit("end"),
      );
      // Client-streaming calls are not used by lb's services; both shapes get a callback.
      run(method.responseStream ? undefined : (err: never, res: unknown) => call.respond(err, res));
      return;
    }
    let received = false;
    call.receive(
      decoder,
      method.requestDeserialize,
      (message) => {
        if (received) {
          call.sendStatus(
            status.UNIMPLEMENTED,
            `Received a second request message for server streaming method ${method.path}`,
          );
          return;
        }
        received = true;
        call.request = message;
      },
      () => {
        if (!received) {
          call.sendStatus(
            status.UNIMPLEMENTED,
            `Received no request message for server streaming method ${method.path}`,
          );
          return;
        }
        if (method.responseStream) run();
        else run((err: never, res: unknown) => call.respond(err, res));
      },
    );
  }
}

function respondAlone(stream: http2.ServerHttp2Stream, headers: http2.OutgoingHttpHeaders): void {
  if (stream.destroyed || stream.closed) return;
  try {
    stream.respond(headers, { endStream: true });
  } catch {
    stream.destroy();
  }
}

/** A trailers-only error response before the call starts. */
function refuse(
  stream: http2.ServerHttp2Stream,
  code: number,
  details: string,
  extra: http2.OutgoingHttpHeaders = {},
): void {
  respondAlone(stream, {
    ...TRAILERS_ONLY_HEADERS,
    ...extra,
    "grpc-status": code,
    "grpc-message": percentEncode(details),
  });
}
