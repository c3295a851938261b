import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type OutgoingHttpHeaders,
} from "node:http2";
import { setTimeout as delay } from "node:timers/promises";
import { CallError, Code } from "./status.js";

/** Default time for one TCP connect plus HTTP/2 set-up. */
const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** waitForReady retries connecting with this exponential backoff (with ±20 % jitter). */
const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 2000;
const BACKOFF_MULTIPLIER = 1.6;
/** Flow-control windows: a large batch of Subscribe data must not stall on 64 KiB windows. */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const SESSION_WINDOW_BYTES = 16 * 1024 * 1024;

function unavailable(details: string): CallError {
  return new CallError({ code: Code.UNAVAILABLE, details });
}

function backoffMs(attempt: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * BACKOFF_MULTIPLIER ** attempt);
  return base * (0.8 + Math.random() * 0.4);
}

/**
 * One HTTP/2 connection to one broker ("host:port"), opened on first use and opened again after
 * it closes (GOAWAY, socket error, broker restart). Idle, it does not keep the process alive.
 */
export class Http2Connection {
  private current: ClientHttp2Session | undefined;
  private connecting: Promise<ClientHttp2Session> | undefined;
  /** Open streams per session, to keep a busy session referenced and let an idle one go. */
  private readonly openStreams = new WeakMap<ClientHttp2Session, number>();
  private closed = false;

  constructor(
    readonly address: string,
    private readonly connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  ) {}

  /** The connected session, if there is one right now. */
  get ready(): ClientHttp2Session | undefined {
    return this.current;
  }

  /**
   * A connected session. Without waitForReady a failed attempt rejects with UNAVAILABLE; with it,
   * attempts repeat with backoff until `signal` aborts (the call's deadline or cancellation).
   */
  async session(waitForReady: boolean, signal: AbortSignal): Promise<ClientHttp2Session> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw unavailable("the connection was closed by the client");
      const ready = this.current;
      if (ready) return ready;
      try {
        return await this.connect();
      } catch (err) {
        if (!waitForReady || signal.aborted) throw err;
      }
      try {
        await delay(backoffMs(attempt), undefined, { signal });
      } catch {
        throw unavailable("the call ended while waiting for the connection");
      }
    }
  }

  /** Opens a stream on `session`; the session is kept referenced while streams are open. */
  request(session: ClientHttp2Session, headers: OutgoingHttpHeaders): ClientHttp2Stream {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      this.forget(session);
      throw unavailable(`cannot start a call on ${this.address}: ${(err as Error).message}`);
    }
    const open = this.openStreams.get(session) ?? 0;
    this.openStreams.set(session, open + 1);
    if (open === 0) session.ref();
    stream.once("close", () => {
      const left = (this.openStreams.get(session) ?? 1) - 1;
      this.openStreams.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  /** Closes the session gracefully: calls under way finish, new ones fail. */
  close(): void {
    this.closed = true;
    this.current?.close();
    this.current = undefined;
  }

  private connect(): Promise<ClientHttp2Session> {
    this.connecting ??= this.openSession().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private openSession(): Promise<ClientHttp2Session> {
    return new Promise((resolve, reject) => {
      const session = connect(`http://${this.address}`, {
        settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES },
        maxSessionMemory: 64,
      });
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        reject(unavailable(why));
      };
      const timer = setTimeout(
        () => fail(`connect to ${this.address} timed out after ${this.connectTimeoutMs}ms`),
        this.connectTimeoutMs,
      );
      // Errors reach the streams of the session as well; this keeps them from being thrown.
      session.on("error", (err: Error) => fail(err.message));
      session.once("close", () => {
        this.forget(session);
        fail(`connection to ${this.address} closed`);
      });
      session.once("goaway", () => this.forget(session));
      session.once("connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.closed) {
          session.close();
          reject(unavailable("the connection was closed by the client"));
          return;
        }
        session.setLocalWindowSize(SESSION_WINDOW_BYTES);
        session.unref();
        this.current = session;
        resolve(session);
      });
    });
  }

  private forget(session: ClientHttp2Session): void {
    if (this.current === session) this.current = undefined;
  }
}

export const RST_CANCEL = constants.NGHTTP2_CANCEL;
