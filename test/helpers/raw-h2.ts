import { once } from "node:events";
import net from "node:net";

/** HTTP/2 frame types and flags this client uses (RFC 9113 §6). */
export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
} as const;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** SETTINGS_MAX_CONCURRENT_STREAMS */
export const MAX_CONCURRENT_STREAMS = 0x3;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/**
 * A bare HTTP/2 client on a TCP socket. Unlike node:http2's client, it opens streams whenever
 * told to, whatever the server's SETTINGS allow, so a test can see the server enforce them.
 * Header blocks are HPACK literals without indexing or Huffman coding.
 */
export class RawH2Client {
  readonly frames: Frame[] = [];
  readonly serverSettings = new Map<number, number>();
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
  }

  /** Connects and exchanges SETTINGS (both sides acknowledged). */
  static async connect(port: number, host = "127.0.0.1"): Promise<RawH2Client> {
    const socket = net.connect(port, host);
    await once(socket, "connect");
    const client = new RawH2Client(socket);
    socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(0))]));
    await client.waitFor(
      (f) => f.type === FrameType.SETTINGS && (f.flags & ACK) !== 0 && f.streamId === 0,
    );
    await client.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & ACK) === 0);
    return client;
  }

  /** Sends a gRPC request's HEADERS on stream `id` (odd, increasing); the body stays open. */
  openGrpcStream(id: number, path: string): void {
    const block = Buffer.concat(
      [
        [":method", "POST"],
        [":scheme", "http"],
        [":path", path],
        [":authority", "localhost"],
        ["content-type", "application/grpc"],
        ["te", "trailers"],
      ].map(([name, value]) => literal(name!, value!)),
    );
    this.socket.write(frame(FrameType.HEADERS, END_HEADERS, id, block));
  }

  /** Resolves with the first frame received so far or later that matches. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const giveUp = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.socket.destroyed) throw new Error("connection closed before the frame arrived");
      const left = giveUp - Date.now();
      if (left <= 0) throw new Error("no matching frame before the timeout");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) break;
      const received: Frame = {
        type: this.buffered[3]!,
        flags: this.buffered[4]!,
        streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
        payload: this.buffered.subarray(9, 9 + length),
      };
      this.buffered = this.buffered.subarray(9 + length);
      this.onFrame(received);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  private onFrame(received: Frame): void {
    this.frames.push(received);
    if (received.type === FrameType.SETTINGS && (received.flags & ACK) === 0) {
      for (let at = 0; at + 6 <= received.payload.length; at += 6) {
        this.serverSettings.set(
          received.payload.readUInt16BE(at),
          received.payload.readUInt32BE(at + 2),
        );
      }
      this.socket.write(frame(FrameType.SETTINGS, ACK, 0, Buffer.alloc(0)));
    }
    if (received.type === FrameType.PING && (received.flags & ACK) === 0) {
      this.socket.write(frame(FrameType.PING, ACK, 0, received.payload));
    }
  }
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK "literal header field without indexing, new name" (names and values < 127 bytes). */
function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  return Buffer.concat([Buffer.from([0x00, n.length]), n, Buffer.from([v.length]), v]);
}
