import { Args, Flags } from "@oclif/core";
import { EXIT_INTERRUPTED } from "../cli/failure.js";
import { parsePartitionList } from "../cli/flag-values.js";
import { LbCommand } from "../cli/lb-command.js";
import { messageToJson } from "../cli/message-json.js";
import { nothingBeforeLatest } from "../cli/stop-at-latest.js";
import { parseTimestampNanos } from "../cli/time.js";
import type {
  LiftbridgeClient,
  Message,
  StartPosition,
  StopPosition,
  Subscription,
} from "../client/index.js";

const NEWLINE = Uint8Array.of(0x0a);
const START_FLAGS = ["from-earliest", "latest", "offset", "timestamp"];
const exclusiveStart = (own: string) => START_FLAGS.filter((flag) => flag !== own);

export default class Sub extends LbCommand<typeof Sub> {
  static override summary = "Read messages from a stream.";
  static override description =
    "Prints each message's value on its own line, or one JSON object per line with --json. " +
    "Starts with new messages unless told otherwise; runs until Ctrl-C (exit 130), --count " +
    "messages, or the end with --stop-at-latest (exit 0).";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders --from-earliest --stop-at-latest --json",
    "<%= config.bin %> <%= command.id %> orders -p 0,2 --offset 42 -n 10",
    "<%= config.bin %> <%= command.id %> orders --timestamp 2026-01-05T10:00:00Z -e",
  ];

  static override args = {
    stream: Args.string({ description: "Stream to read.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partition(s) to read, e.g. 0 or 0,2 (default: all).",
      helpValue: "P[,P...]",
    }),
    "from-earliest": Flags.boolean({
      summary: "Start at the oldest message.",
      exclusive: exclusiveStart("from-earliest"),
    }),
    latest: Flags.boolean({
      summary: "Start at the newest message.",
      exclusive: exclusiveStart("latest"),
    }),
    offset: Flags.integer({
      summary: "Start at this offset.",
      min: 0,
      exclusive: exclusiveStart("offset"),
    }),
    timestamp: Flags.string({
      summary: "Start at the first message at or after this time (RFC 3339 or ms since epoch).",
      helpValue: "TIME",
      exclusive: exclusiveStart("timestamp"),
    }),
    "stop-at-latest": Flags.boolean({
      char: "e",
      aliases: ["until-end"],
      summary: "Exit once the newest message at subscribe time has been read.",
    }),
    count: Flags.integer({ char: "n", summary: "Exit after this many messages.", min: 1 }),
  };

  private subscriptions: Subscription[] = [];
  private remaining = Number.POSITIVE_INFINITY;
  private interrupted = false;
  private stdoutClosed = false;

  async run(): Promise<void> {
    const { stream } = this.args;
    const client = await this.connect();
    const partitions =
      this.flags.partition === undefined
        ? await allPartitions(client, stream)
        : parsePartitionList(this.flags.partition);
    const start = this.startPosition();
    const stop: StopPosition | undefined = this.flags["stop-at-latest"]
      ? { kind: "latest" }
      : undefined;
    this.remaining = this.flags.count ?? Number.POSITIVE_INFINITY;

    const opened = await Promise.allSettled(
      partitions.map(async (partition) => {
        if (stop) {
          const metadata = await client.fetchPartitionMetadata(stream, partition);
          if (nothingBeforeLatest(start, metadata)) return undefined;
        }
        return client.subscribe(stream, { partition, start, stop });
      }),
    );
    this.subscriptions = opened.flatMap((r) =>
      r.status === "fulfilled" && r.value ? [r.value] : [],
    );
    const failed = opened.find((r) => r.status === "rejected");
    if (failed) {
      this.stopAll();
      throw failed.reason;
    }

    const onInterrupt = () => {
      this.interrupted = true;
      this.stopAll();
    };
    let stdoutFailure: Error | undefined;
    const onStdoutError = (err: NodeJS.ErrnoException) => {
      // EPIPE: the reader went away (e.g. `| head`), a normal end; anything else is a failure.
      if (err.code !== "EPIPE") stdoutFailure = err;
      this.stdoutClosed = true;
      this.stopAll();
    };
    process.once("SIGINT", onInterrupt);
    process.stdout.on("error", onStdoutError);
    try {
      await Promise.all(this.subscriptions.map((subscription) => this.drain(subscription)));
    } finally {
      process.off("SIGINT", onInterrupt);
      process.stdout.off("error", onStdoutError);
    }
    if (stdoutFailure) throw stdoutFailure;
    if (this.interrupted) this.exit(EXIT_INTERRUPTED);
  }

  private startPosition(): StartPosition {
    const f = this.flags;
    if (f["from-earliest"]) return { kind: "earliest" };
    if (f.latest) return { kind: "latest" };
    if (f.offset !== undefined) return { kind: "offset", offset: f.offset };
    if (f.timestamp !== undefined) {
      return { kind: "timestamp", timestamp: parseTimestampNanos(f.timestamp, "--timestamp") };
    }
    return { kind: "new" };
  }

  /** Prints one partition's messages until it ends; a failure stops the other partitions too. */
  private async drain(subscription: Subscription): Promise<void> {
    try {
      for await (const message of subscription) {
        if (this.remaining <= 0) break;
        this.remaining--;
        await this.print(message);
        if (this.remaining <= 0) this.stopAll();
      }
    } catch (err) {
      this.stopAll();
      if (this.stdoutClosed) return;
      throw err;
    }
  }

  private async print(message: Message): Promise<void> {
    if (this.flags.json) {
      await this.output.jsonLine(messageToJson(message));
    } else {
      await this.output.data(message.value);
      await this.output.data(NEWLINE);
    }
  }

  private stopAll(): void {
    for (const subscription of this.subscriptions) subscription.cancel();
  }
}

/** Every partition of the stream; [0] when it is unknown, so Subscribe reports it as not found. */
async function allPartitions(client: LiftbridgeClient, stream: string): Promise<number[]> {
  const metadata = await client.fetchMetadata([stream]);
  return [...Array(Math.max(metadata.partitionCount(stream), 1)).keys()];
}
