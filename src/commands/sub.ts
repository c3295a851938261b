import { Args, Flags } from "@oclif/core";
import { parseDurationNanos } from "../cli/duration.js";
import { EXIT_INTERRUPTED } from "../cli/failure.js";
import { parsePartitionList } from "../cli/flag-values.js";
import { LbCommand } from "../cli/lb-command.js";
import { messageToJson } from "../cli/message-json.js";
import { compileFormat } from "../cli/record-format.js";
import { nothingBeforeLatest } from "../cli/stop-at-latest.js";
import { parseTimestampNanos } from "../cli/time.js";
import {
  LbError,
  type Message,
  type PartitionMetadata,
  type StartPosition,
  type StopPosition,
  type Subscription,
} from "../client/index.js";

const NEWLINE = Uint8Array.of(0x0a);
const START_FLAGS = ["from-earliest", "latest", "offset", "last", "timestamp", "since"];
const exclusiveStart = (own: string) => START_FLAGS.filter((flag) => flag !== own);
const STOP_FLAGS = ["stop-at-latest", "until-offset", "until-time"];
const exclusiveStop = (own: string) => STOP_FLAGS.filter((flag) => flag !== own);

/** Where to start, per partition: "the last N" depends on each partition's newest offset. */
type StartPlan = StartPosition | { kind: "last"; count: number };

export default class Sub extends LbCommand<typeof Sub> {
  static override summary = "Read messages from a stream.";
  static override description =
    "Prints each message's value on its own line, one JSON object per line with --json, or " +
    "what -f/--format says. Paused partitions are skipped with a note unless --resume. " +
    "Starts with new messages unless told otherwise; runs until Ctrl-C (exit 130), --count " +
    "messages, or the end with --stop-at-latest (exit 0).";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders --from-earliest --stop-at-latest --json",
    "<%= config.bin %> <%= command.id %> orders -p 0,2 --offset 42 -n 10",
    "<%= config.bin %> <%= command.id %> orders --timestamp 2026-01-05T10:00:00Z -e",
    "<%= config.bin %> <%= command.id %> orders --last 10 -e -f '%p %o %k %v\\n'",
    "<%= config.bin %> <%= command.id %> orders --since 15m --until-offset 500",
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
      char: "o",
      summary:
        "Start at this offset; a negative one counts back from the newest (-10: the last 10).",
      exclusive: exclusiveStart("offset"),
    }),
    last: Flags.integer({
      summary: "Start at the last N messages of each partition.",
      min: 1,
      exclusive: exclusiveStart("last"),
    }),
    timestamp: Flags.string({
      summary:
        "Start at the first message at or after this time (RFC 3339, or ms or ns since the epoch).",
      helpValue: "TIME",
      exclusive: exclusiveStart("timestamp"),
    }),
    since: Flags.string({
      summary: "Start at messages from this long ago (15m, 2h).",
      helpValue: "DURATION",
      exclusive: exclusiveStart("since"),
    }),
    "stop-at-latest": Flags.boolean({
      char: "e",
      aliases: ["until-end"],
      summary: "Exit once the newest message at subscribe time has been read.",
      exclusive: exclusiveStop("stop-at-latest"),
    }),
    "until-offset": Flags.integer({
      summary: "Exit after the message at this offset (waits for it if it is not there yet).",
      min: 0,
      exclusive: exclusiveStop("until-offset"),
    }),
    "until-time": Flags.string({
      summary: "Exit after the last message before this time (RFC 3339, ms or ns since epoch).",
      helpValue: "TIME",
      exclusive: exclusiveStop("until-time"),
    }),
    count: Flags.integer({ char: "n", summary: "Exit after this many messages.", min: 1 }),
    format: Flags.string({
      char: "f",
      summary: "Print each message by this format: %t %p %o %k %v %K %S %s %d %T %h, \\n.",
      description:
        "%t stream, %p partition, %o offset, %k key, %v value (%k{hex}, %v{base64}), %K/%S key/value sizes, %s subject, %d timestamp in ns since the epoch, %T the same as RFC 3339, %h headers k=v,...; escapes \\n \\t \\0.",
      helpValue: "FORMAT",
      exclusive: ["json"],
    }),
    resume: Flags.boolean({
      summary: "Resume paused partitions to read them (without it they are skipped, with a note).",
    }),
  };

  private subscriptions: Subscription[] = [];
  private format: ((message: Message) => Buffer) | undefined;
  private remaining = Number.POSITIVE_INFINITY;
  private interrupted = false;
  private stdoutClosed = false;

  async run(): Promise<void> {
    const { stream } = this.args;
    const plan = this.startPlan();
    const stop = this.stopPosition();
    if (this.flags.format !== undefined) this.format = compileFormat(this.flags.format);
    const client = await this.connect();
    const metadata = await client.fetchMetadata([stream]);
    const info = metadata.stream(stream);
    const asked =
      this.flags.partition === undefined
        ? [...Array(Math.max(info?.partitions.length ?? 0, 1)).keys()]
        : parsePartitionList(this.flags.partition);
    const resume = this.flags.resume;
    const paused = asked.filter((p) => info?.partitions.find((m) => m.id === p)?.paused);
    const partitions = resume ? asked : asked.filter((p) => !paused.includes(p));
    if (!resume && paused.length > 0) {
      const which = `partition${paused.length === 1 ? "" : "s"} ${paused.join(",")}`;
      if (partitions.length === 0) {
        throw new LbError(
          "failed_precondition",
          `stream "${stream}" ${which} paused: nothing to read`,
          {
            hint: `add --resume to resume and read, or: lb stream resume ${stream}`,
          },
        );
      }
      this.output.info(
        `lb: note: ${which} of stream "${stream}" paused, not read (--resume reads it)`,
      );
    }
    this.remaining = this.flags.count ?? Number.POSITIVE_INFINITY;

    const opened = await Promise.allSettled(
      partitions.map(async (partition) => {
        const needsMetadata = stop?.kind === "latest" || plan.kind === "last";
        const latest = needsMetadata
          ? await client.fetchPartitionMetadata(stream, partition)
          : undefined;
        const start = startFor(plan, latest);
        if (stop?.kind === "latest" && latest && !resume && nothingBeforeLatest(start, latest)) {
          return undefined;
        }
        return client.subscribe(stream, { partition, start, stop, resume });
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

  private startPlan(): StartPlan {
    const f = this.flags;
    if (f["from-earliest"]) return { kind: "earliest" };
    if (f.latest) return { kind: "latest" };
    if (f.offset !== undefined) {
      return f.offset < 0
        ? { kind: "last", count: -f.offset }
        : { kind: "offset", offset: f.offset };
    }
    if (f.last !== undefined) return { kind: "last", count: f.last };
    if (f.timestamp !== undefined) {
      return { kind: "timestamp", timestamp: parseTimestampNanos(f.timestamp, "--timestamp") };
    }
    if (f.since !== undefined) {
      const ago = parseDurationNanos(f.since, "--since");
      return { kind: "timestamp", timestamp: BigInt(Date.now()) * 1_000_000n - ago };
    }
    return { kind: "new" };
  }

  private stopPosition(): StopPosition | undefined {
    const f = this.flags;
    if (f["stop-at-latest"]) return { kind: "latest" };
    if (f["until-offset"] !== undefined) return { kind: "offset", offset: f["until-offset"] };
    if (f["until-time"] !== undefined) {
      return { kind: "timestamp", timestamp: parseTimestampNanos(f["until-time"], "--until-time") };
    }
    return undefined;
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
    } else if (this.format) {
      await this.output.data(this.format(message));
    } else {
      await this.output.data(message.value);
      await this.output.data(NEWLINE);
    }
  }

  private stopAll(): void {
    for (const subscription of this.subscriptions) subscription.cancel();
  }
}

/** The start for one partition: "the last N" becomes the offset N before its newest + 1. */
function startFor(plan: StartPlan, latest: PartitionMetadata | undefined): StartPosition {
  if (plan.kind !== "last") return plan;
  const newest = latest?.newestOffset ?? -1;
  if (newest < 0) return { kind: "earliest" };
  return { kind: "offset", offset: Math.max(0, newest - plan.count + 1) };
}
