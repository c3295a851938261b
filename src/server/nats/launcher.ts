import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

const INSTALL_HINT =
  "install it with `apt-get install nats-server` (or download it from https://nats.io/download/), or set LB_NATS_SERVER to its path";
const WELL_KNOWN_PATHS = ["/usr/sbin/nats-server", "/usr/local/bin/nats-server"];
const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::", "[::]"]);
const STOP_GRACE_MS = 5000;
const POLL_MS = 20;
const STDERR_LINES_KEPT = 50;

/** No nats-server binary could be found; the message says how to install one. */
export class NatsServerNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NatsServerNotFoundError";
  }
}

/** nats-server exited, or did not accept connections in time; the message quotes its log. */
export class NatsServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NatsServerStartError";
  }
}

export interface NatsServerOptions {
  /**
   * Address to bind. Default 127.0.0.1, or what `configFile` says when one is given (an explicit
   * host or port here overrides the file).
   */
  host?: string;
  /** 0 (the default without a configFile) picks a free port. */
  port?: number;
  /** A nats-server configuration file (`nats.embedded.config`). */
  configFile?: string;
  jetstream?: boolean;
  /** JetStream storage; default: a directory inside the server's temp dir, kept across restart(). */
  storeDir?: string;
  /** NATS max_payload in bytes (nats-server's default is 1 MiB). */
  maxPayload?: number;
  /** Copy nats-server's log to our stderr. */
  logToStderr?: boolean;
  /** Called with each line nats-server logs (for `logging.nats`). */
  onLogLine?: (line: string) => void;
  /** Binary to run; default: found with findNatsServerBinary(env). */
  binary?: string;
  /** Where LB_NATS_SERVER and PATH are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default 10 s. */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** `nats://host:port`, for clients. */
  readonly url: string;
  /** Host to dial: the bound host, or 127.0.0.1 when bound to a wildcard address. */
  readonly host: string;
  readonly port: number;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp dir. Safe to call more than once. */
  stop(): Promise<void>;
  /** Stops the process and starts a new one on the same host and port, keeping JetStream data. */
  restart(): Promise<void>;
  /** Exit code of the current process (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** False once the current process has exited (stopped, or signalled by someone else). */
  readonly running: boolean;
}

/** LB_NATS_SERVER, then PATH, then /usr/sbin and /usr/local/bin. */
export async function findNatsServerBinary(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = env.LB_NATS_SERVER;
  if (explicit) {
    if (await isExecutableFile(explicit)) return explicit;
    throw new NatsServerNotFoundError(
      `LB_NATS_SERVER=${explicit} is not an executable nats-server: ${INSTALL_HINT}`,
    );
  }
  const onPath = (env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir !== "")
    .map((dir) => path.join(dir, "nats-server"));
  for (const candidate of [...onPath, ...WELL_KNOWN_PATHS]) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  throw new NatsServerNotFoundError(
    `nats-server was not found on PATH, in /usr/sbin or in /usr/local/bin: ${INSTALL_HINT}`,
  );
}

/**
 * Starts the real nats-server binary as a child process and resolves once it accepts TCP
 * connections. It is stopped when this process exits, and a small guardian shell process stops
 * it if this process is killed outright (SIGKILL), so no nats-server outlives its owner.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  validateOptions(opts);
  const binary = opts.binary ?? (await findNatsServerBinary(opts.env ?? process.env));
  const workDir = await mkdtemp(path.join(os.tmpdir(), "lb-nats-"));
  try {
    const args = await prepareArgs(opts, workDir);
    const server = new NatsServerProcess(binary, args, workDir, opts);
    const host = opts.host ?? (opts.configFile ? undefined : "127.0.0.1");
    const port = opts.port ?? (opts.configFile ? undefined : 0);
    await server.launch(host, port);
    return server;
  } catch (err) {
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }
}

function validateOptions(opts: NatsServerOptions): void {
  const { port, maxPayload, startTimeoutMs } = opts;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(
      `nats-server port ${port} is invalid: expected an integer from 0 to 65535`,
    );
  }
  if (maxPayload !== undefined && !(Number.isInteger(maxPayload) && maxPayload > 0)) {
    throw new RangeError(
      `nats-server maxPayload ${maxPayload} is invalid: expected a positive integer of bytes`,
    );
  }
  if (startTimeoutMs !== undefined && !(startTimeoutMs > 0)) {
    throw new RangeError(
      `nats-server startTimeoutMs ${startTimeoutMs} is invalid: expected a positive number`,
    );
  }
}

/**
 * Writes the generated config and returns the arguments common to every (re)start. The user's
 * file is included first so that our settings after it win; nats-server resolves includes
 * relative to the including file, hence the relative path. Host and port are passed as flags
 * by launch(), because flags override the file whatever keys (listen, host, port) it uses.
 */
async function prepareArgs(opts: NatsServerOptions, workDir: string): Promise<string[]> {
  const lines = ["# generated by lb for its embedded nats-server"];
  if (opts.configFile) {
    const relative = path.relative(workDir, path.resolve(opts.configFile));
    lines.push(`include ${JSON.stringify(relative)}`);
  }
  if (opts.maxPayload !== undefined) lines.push(`max_payload: ${opts.maxPayload}`);
  const configPath = path.join(workDir, "nats.conf");
  await writeFile(configPath, `${lines.join("\n")}\n`);
  const args = ["-c", configPath, "--ports_file_dir", workDir];
  if (opts.jetstream) {
    args.push("-js", "-sd", path.resolve(opts.storeDir ?? path.join(workDir, "jetstream")));
  }
  return args;
}

/** Stops every running server when this process exits, however it exits normally. */
const running = new Set<NatsServerProcess>();
let exitHookInstalled = false;
function trackRunning(server: NatsServerProcess): void {
  running.add(server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const each of running) each.signalNow();
  });
}

interface Address {
  host: string;
  port: number;
}

class NatsServerProcess implements NatsServerHandle {
  url = "";
  host = "";
  port = 0;
  private child?: ChildProcess;
  private guardian?: ChildProcess;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private hasExited = true;
  private requestedHost?: string;
  private stopping?: Promise<void>;
  private readonly stderrTail: string[] = [];

  constructor(
    private readonly binary: string,
    private readonly baseArgs: readonly string[],
    private readonly workDir: string,
    private readonly opts: NatsServerOptions,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  async restart(): Promise<void> {
    if (this.stopping) throw new Error("nats-server was stopped; start a new one instead");
    await this.terminate();
    await this.launch(this.requestedHost, this.port);
  }

  /** Spawns nats-server with the given host and port (undefined: leave them to the config). */
  async launch(host: string | undefined, port: number | undefined): Promise<void> {
    this.requestedHost = host;
    this.stderrTail.length = 0;
    const args = [...this.baseArgs];
    if (host !== undefined) args.push("-a", host);
    if (port !== undefined) args.push("-p", port === 0 ? "-1" : String(port));
    const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.hasExited = false;
    let spawnError: Error | undefined;
    this.exitPromise = new Promise((resolve) => {
      // 'close' rather than 'exit': by then stderr is fully read, so errors can quote it.
      child.once("close", (code) => {
        this.hasExited = true;
        this.guardian?.kill("SIGKILL");
        running.delete(this);
        resolve(code);
      });
      child.once("error", (err) => {
        spawnError = err;
        if (child.pid === undefined) {
          this.hasExited = true;
          resolve(null);
        }
      });
    });
    this.captureOutput(child);
    if (child.pid !== undefined) {
      trackRunning(this);
      this.guardian = startGuardian(child.pid, this.workDir);
    }
    let address: Address;
    try {
      address = await this.waitUntilReady(child, host, () => spawnError);
    } catch (err) {
      await this.terminate();
      throw err;
    }
    this.host = address.host;
    this.port = address.port;
    this.url = `nats://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
  }

  /** Synchronous, for the process 'exit' hook. */
  signalNow(): void {
    if (!this.hasExited) this.child?.kill("SIGTERM");
  }

  private captureOutput(child: ChildProcess): void {
    const onChunk = (chunk: Buffer, pending: { text: string }) => {
      if (this.opts.logToStderr) process.stderr.write(chunk);
      pending.text += chunk.toString("utf8");
      const lines = pending.text.split("\n");
      pending.text = lines.pop() ?? "";
      for (const line of lines) this.recordLine(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      const pending = { text: "" };
      stream?.on("data", (chunk: Buffer) => onChunk(chunk, pending));
      stream?.on("end", () => {
        if (pending.text !== "") this.recordLine(pending.text);
      });
    }
  }

  private recordLine(line: string): void {
    const trimmed = line.trimEnd();
    if (trimmed === "") return;
    this.stderrTail.push(trimmed);
    if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
    this.opts.onLogLine?.(trimmed);
  }

  private async waitUntilReady(
    child: ChildProcess,
    requestedHost: string | undefined,
    spawnError: () => Error | undefined,
  ): Promise<Address> {
    const timeoutMs = this.opts.startTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failure = spawnError();
      if (failure) {
        throw new NatsServerStartError(`cannot run ${this.binary}: ${failure.message}`);
      }
      if (this.hasExited) {
        const code = await this.exitPromise;
        throw new NatsServerStartError(
          `nats-server exited with code ${code} before accepting connections: ${this.explainFailure()}`,
        );
      }
      const advertised = await readPortsFile(this.workDir, child.pid!);
      if (advertised) {
        const address = chooseAddress(advertised, requestedHost);
        if (address && (await acceptsConnections(address))) return address;
      }
      if (Date.now() > deadline) {
        throw new NatsServerStartError(
          `nats-server did not accept connections within ${timeoutMs} ms: ${this.explainFailure()}`,
        );
      }
      await Promise.race([delay(POLL_MS), this.exitPromise]);
    }
  }

  /** The log lines that say what went wrong: fatal/error lines if any, else the last line. */
  private explainFailure(): string {
    const lines = this.stderrTail.map((line) => line.replace(/^\[\d+\] \S+ \S+ /, ""));
    const errors = lines.filter((line) => /\[(FTL|ERR)\]|^nats-server:/.test(line));
    const chosen = errors.length > 0 ? errors.slice(-3) : lines.slice(-1);
    return chosen.length > 0 ? chosen.join(" | ") : "(it logged nothing)";
  }

  /** Ends the current process: SIGTERM, SIGKILL after the grace period. */
  private async terminate(): Promise<void> {
    // Kill the guardian first so that it can never signal a recycled PID later.
    this.guardian?.kill("SIGKILL");
    this.guardian = undefined;
    if (!this.hasExited) {
      this.child?.kill("SIGTERM");
      const escalate = setTimeout(() => this.child?.kill("SIGKILL"), STOP_GRACE_MS);
      await this.exitPromise;
      clearTimeout(escalate);
    }
    running.delete(this);
  }

  private async shutDown(): Promise<void> {
    await this.terminate();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/**
 * A shell that blocks reading a pipe from us. The pipe closes when this process dies, however
 * it dies (even SIGKILL, which runs no exit hook); the shell then stops nats-server and removes
 * its temp dir. Stopping the server normally kills the guardian first. The orphaned server is
 * reaped by init, possibly late, so a zombie counts as stopped; the wait is bounded anyway.
 */
const GUARDIAN_SCRIPT = `alive() {
  if [ -r "/proc/$1/stat" ]; then
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}
read _ignored
kill -TERM "$1" 2>/dev/null
i=0
while [ "$i" -lt 100 ] && alive "$1"; do
  i=$((i + 1))
  if [ "$i" -eq 50 ]; then kill -KILL "$1" 2>/dev/null; fi
  sleep 0.1
done
rm -rf "$2"`;

function startGuardian(pid: number, workDir: string): ChildProcess {
  const guardian = spawn(
    "/bin/sh",
    ["-c", GUARDIAN_SCRIPT, "lb-nats-guardian", String(pid), workDir],
    {
      stdio: ["pipe", "ignore", "ignore"],
    },
  );
  // Without /bin/sh the exit hook still stops the server; nothing else to do.
  guardian.on("error", () => {});
  guardian.stdin?.on("error", () => {});
  guardian.unref();
  (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return guardian;
}

/** nats-server writes `<name>_<pid>.ports` (JSON: {"nats": ["nats://host:port", ...]}) once up. */
async function readPortsFile(dir: string, pid: number): Promise<string[] | undefined> {
  const name = (await readdir(dir)).find((file) => file.endsWith(`_${pid}.ports`));
  if (!name) return undefined;
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, name), "utf8")) as { nats?: unknown };
    return Array.isArray(parsed.nats) ? parsed.nats.map(String) : undefined;
  } catch {
    return undefined; // caught mid-write; read again on the next poll
  }
}

/** The requested host when it is a specific one; otherwise loopback if listed, else the first. */
function chooseAddress(urls: string[], requestedHost: string | undefined): Address | undefined {
  const addresses = urls.flatMap((url) => {
    try {
      const parsed = new URL(url);
      return [{ host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port) }];
    } catch {
      return [];
    }
  });
  const first = addresses[0];
  if (!first) return undefined;
  if (requestedHost !== undefined && !WILDCARD_HOSTS.has(requestedHost)) {
    return { host: requestedHost.replace(/^\[|\]$/g, ""), port: first.port };
  }
  const loopback =
    addresses.find((a) => a.host === "127.0.0.1") ?? addresses.find((a) => a.host === "::1");
  if (loopback) return loopback;
  return WILDCARD_HOSTS.has(first.host) ? { host: "127.0.0.1", port: first.port } : first;
}

function acceptsConnections({ host, port }: Address): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
