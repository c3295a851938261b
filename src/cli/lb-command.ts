import { Command, type Interfaces } from "@oclif/core";
import { LiftbridgeClient, parseAddressList } from "../client/index.js";
import { describeFailure } from "./failure.js";
import { globalFlags } from "./flags.js";
import { Output } from "./output.js";

export type LbFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof LbCommand)["baseFlags"] & T["flags"]
>;
export type LbArgs<T extends typeof Command> = Interfaces.InferredArgs<T["args"]>;

/** How long a command waits for a broker to answer before giving up. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * The shared shape of the client commands: flags parsed before run(), one client connected on
 * demand and closed at the end, and every error reported as one "lb: ..." line with the exit
 * code it deserves (0 ok, 1 failed, 2 usage).
 */
export abstract class LbCommand<T extends typeof Command> extends Command {
  static override baseFlags = globalFlags;

  protected flags!: LbFlags<T>;
  protected args!: LbArgs<T>;
  protected output = new Output(
    !process.argv.includes("--no-color"),
    process.stdout,
    process.stderr,
    process.argv.includes("--json"),
  );
  private client: LiftbridgeClient | undefined;

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof LbCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as LbFlags<T>;
    this.args = args as LbArgs<T>;
    this.output = new Output(this.flags.color, process.stdout, process.stderr, this.flags.json);
  }

  /** The client for --address, connected on first use. */
  protected async connect(): Promise<LiftbridgeClient> {
    if (!this.client) {
      const addresses = parseAddressList(this.flags.address, "--address");
      this.client = await LiftbridgeClient.connect(addresses, {
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      });
    }
    return this.client;
  }

  protected override async catch(err: Error & { code?: string }): Promise<void> {
    if (err.code === "EEXIT") throw err; // this.exit(): already decided
    const failure = describeFailure(err, this.id);
    this.output.error(failure.message, { exitCode: failure.exitCode, ...failure.details });
    if (this.argv.includes("--debug") && err.stack) this.output.info(err.stack);
    this.exit(failure.exitCode);
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.client?.close();
    this.client = undefined;
    await super.finally(err);
  }
}
