/**
 * The parts of a server call that lb's handlers use. Both grpc-js call objects and
 * Http2GrpcServer's calls satisfy these, so the handlers run on either server.
 */

/** A deadline as grpc-js reports it: a Date, or milliseconds since the epoch (Infinity: none). */
export type CallDeadline = Date | number;

/** What a handler reports a failure with: `callback(err)` or `call.emit("error", err)`. */
export interface CallError {
  code: number;
  details?: string;
  message?: string;
  metadata?: { toHttp2Headers(): object };
}

// biome-ignore lint/suspicious/noExplicitAny: listeners of several events share these methods.
type Listener = (...args: any[]) => void;

interface CallEvents {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors EventEmitter.emit.
  emit(event: string, ...args: any[]): boolean;
}

export interface UnaryCall<Req> {
  readonly request: Req;
  getDeadline(): CallDeadline;
}

export type UnaryCallback<Res> = (err: CallError | null, response?: Res) => void;

/**
 * A server-streaming call. `write` returns false when the peer is behind ('drain' follows);
 * `end` sends OK after the messages written; `emit("error", err)` ends it with err's status.
 * 'cancelled' is emitted when the client goes away or the deadline passes.
 */
export interface ServerStreamCall<Req, Res> extends CallEvents {
  readonly request: Req;
  getDeadline(): CallDeadline;
  write(message: Res): boolean;
  end(): void;
}

/** A bidirectional call: requests arrive as 'data' events, 'end' when the client is done. */
export interface DuplexCall<Res> extends CallEvents {
  getDeadline(): CallDeadline;
  write(message: Res): boolean;
  end(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers are typed per method by their services.
export type CallHandler = (call: any, callback?: any) => void;

/** A service implementation: handlers keyed by method name. */
export type ServiceImplementation = Record<string, CallHandler>;
