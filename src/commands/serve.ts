import { Command, Flags, type Interfaces } from "@oclif/core";
import { describeFailure } from "../cli/failure.js";
import { Broker, StartupAbortedError } from "../server/broker.js";
import { ConfigError, FLAG_KEYS, type FlagSpec, loadConfig } from "../server/config/index.js";
import { StartupError } from "../server/data-dir.js";
import { createLogger } from "../server/logger.js";
import { NatsServerNotFoundError, NatsServerStartError } from "../server/nats/launcher.js";
import { redactSecrets } from "../server/redact.js";

/**
 * After a stop or a failed start the process exits by itself; should a stray handle (a library's
 * timer, a socket) keep the event loop alive, it exits this long after anyway, saying so.
 */
const EXIT_GRACE_MS = 5000;

type AnyFlag = Interfaces.Flag<unknown>;

function toOclifFlag(spec: FlagSpec): AnyFlag {
  const common = {
    char: spec.char as never,
    aliases: [...spec.aliases],
    description: spec.description,
  };
  switch (spec.type) {
    case "bool":
      return Flags.boolean(common) as unknown as AnyFlag;
    case "int":
      return Flags.integer(common) as unknown as AnyFlag;
    case "list":
      return Flags.string({ ...common, multiple: true, delimiter: "," }) as unknown as AnyFlag;
    default:
      return Flags.string(common) as unknown as AnyFlag;
  }
}

export default class Serve extends Command {
  static override summary = "Run a broker (embedded nats-server unless --nats-servers is given)";

  static override description =
    `Starts an lb broker: the Liftbridge gRPC API on --port (default 9292), a durable log under --data, and a NATS connection. With no NATS servers given (flag, config file or LIFTBRIDGE_NATS_SERVERS), lb starts the nats-server binary as a child process on a free loopback port. Accepts upstream Liftbridge's flags and YAML configuration keys; see the README for every key.

Prints one line to stderr when ready, naming the address it listens on and the one it advertises to clients; warns when it serves without TLS on an address other machines can reach. SIGINT (Ctrl-C) or SIGTERM stops it gracefully and exits 0: in-flight appends finish, logs are synced and closed, then NATS; during start-up, a signal stops the start at once. A second broker on the same --data is refused (the data dir holds a lock naming the broker's pid).`;

  static override examples = [
    "<%= config.bin %> serve --data ./data",
    "<%= config.bin %> serve -d /var/lib/lb -p 9292 -n nats://10.0.0.5:4222",
    "<%= config.bin %> serve --config lb.yaml --level debug",
  ];

  static override flags: Interfaces.FlagInput = Object.fromEntries(
    FLAG_KEYS.map((spec) => [spec.name, toOclifFlag(spec)]),
  );

  /** Flag parse errors: one "lb: ..." line and exit 2, like every other command. */
  protected override async catch(err: Error & { code?: string }): Promise<void> {
    if (err.code === "EEXIT") throw err;
    const failure = describeFailure(err, this.id);
    process.stderr.write(`lb: ${failure.message}\n`);
    this.exit(failure.exitCode);
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const byKey: Record<string, unknown> = {};
    let configFile: string | undefined;
    for (const spec of FLAG_KEYS) {
      const value = (flags as Record<string, unknown>)[spec.name];
      if (value === undefined) continue;
      if (spec.key === null) configFile = String(value);
      else byKey[spec.key] = value;
    }

    // Signal handlers go in before anything starts, so that no signal can find the process
    // without them: one during start-up abandons the start, one later stops the broker.
    const starting = new AbortController();
    let stopBroker: (() => void) | undefined;
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        process.stderr.write(`lb: second ${signal}, exiting without a clean stop\n`);
        process.exit(1);
      }
      signalled = true;
      if (stopBroker) stopBroker();
      else starting.abort(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    let broker: Broker;
    try {
      const config = await loadConfig({ configFile, flags: byKey, env: process.env });
      const logger = createLogger(config.logLevel);
      broker = await Broker.start(config, logger, { signal: starting.signal });
      process.stderr.write(
        `lb ready on ${hostPort(broker.listenAddress)}, advertised ${hostPort(broker.address)}, nats ${broker.natsUrl}, data ${config.dataDir}, id ${broker.serverId}\n`,
      );
    } catch (err) {
      exitSoon();
      // A signal to the process group also reaches an embedded nats-server that is starting:
      // its exit is then part of the stop, not a failure.
      if (err instanceof StartupAbortedError || starting.signal.aborted) {
        process.stderr.write(`lb: stopped during start-up (${String(starting.signal.reason)})\n`);
        return;
      }
      const known =
        err instanceof ConfigError ||
        err instanceof StartupError ||
        err instanceof NatsServerNotFoundError ||
        err instanceof NatsServerStartError;
      const text = known ? (err as Error).message : String((err as Error)?.stack ?? err);
      process.stderr.write(`lb: ${redactSecrets(text)}\n`);
      process.exitCode = err instanceof ConfigError ? 2 : 1;
      return;
    }

    await new Promise<void>((resolve) => {
      stopBroker = () =>
        broker.stop().then(resolve, (err) => {
          process.stderr.write(`lb: stop failed: ${redactSecrets((err as Error).message)}\n`);
          process.exitCode = 1;
          resolve();
        });
      if (signalled) stopBroker();
    });
    exitSoon();
  }
}

function hostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function exitSoon(): void {
  setTimeout(() => {
    process.stderr.write("lb: something still held the process open after the stop; exiting\n");
    process.exit();
  }, EXIT_GRACE_MS).unref();
}
