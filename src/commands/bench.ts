import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Flags } from "@oclif/core";
import { RunControl } from "../cli/bench/control.js";
import {
  PublisherStats,
  type PublishLimit,
  type PublishPlan,
  runPublisher,
} from "../cli/bench/publish-client.js";
import {
  type BenchReport,
  summarizePublishers,
  summarizeSubscribers,
  summaryLine,
  TABLE_HEADERS,
  tableRows,
} from "../cli/bench/report.js";
import {
  type BenchStream,
  createBenchStream,
  existingBenchStream,
  highWatermarks,
  settledHighWatermarks,
  storedSince,
  temporaryStreamName,
} from "../cli/bench/stream.js";
import { SubscriberClient, SubscriberStats } from "../cli/bench/subscribe-client.js";
import { formatCount, parseSize } from "../cli/bench/units.js";
import { parseDurationMs } from "../cli/duration.js";
import { EXIT_FAILURE, EXIT_INTERRUPTED } from "../cli/failure.js";
import { CONNECT_TIMEOUT_MS, LbCommand } from "../cli/lb-command.js";
import { Progress } from "../cli/progress.js";
import { UsageError } from "../cli/usage-error.js";
import {
  type AckPolicyName,
  type CreateStreamOptions,
  LiftbridgeClient,
  parseAddressList,
} from "../client/index.js";

const DEFAULT_MSGS = 100_000;

interface RunSettings {
  ackPolicy: AckPolicyName;
  size: number;
  timeoutMs: number;
  durationMs: number | undefined;
  msgs: number | undefined;
}
const BAR_WIDTH = 20;

export default class Bench extends LbCommand<typeof Bench> {
  static override summary = "Benchmark a running cluster: publish rate, ack latency, consume rate.";
  static override description =
    "Publishes --msgs messages of --size bytes (or for --duration) from --pub clients, each on " +
    "its own connection with --window messages in flight, and prints per client and in all " +
    "msgs/s, MB/s (10^6 bytes) and the send-to-ack latency p50/p90/p99/p99.9/max; --sub clients " +
    "read every partition meanwhile and report their consume rate. By default the messages go " +
    "to a temporary stream (lb-bench-<hex>, --partitions, -r, --sync-policy) deleted afterwards; " +
    "--stream publishes to an existing one and leaves it (and its messages) in place. The first " +
    "failed or missing ack stops the run: the numbers so far are printed and the exit code is 1. " +
    "`lb bench compare` runs the side-by-side suite against JetStream instead.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> --msgs 100000 --size 128",
    "<%= config.bin %> <%= command.id %> --pub 4 --window 1000 --ack-policy all -r 3 --partitions 3",
    "<%= config.bin %> <%= command.id %> --duration 30s --sub 2 --address a:9292,b:9292",
    "<%= config.bin %> <%= command.id %> --stream orders --msgs 10000 --json",
  ];

  static override flags = {
    msgs: Flags.integer({
      char: "n",
      summary: `Messages to publish in all, shared by the publishers (default ${DEFAULT_MSGS}).`,
      min: 1,
      exclusive: ["duration"],
    }),
    duration: Flags.string({
      summary: "Publish for this long instead of a number of messages.",
      helpValue: "DURATION",
    }),
    size: Flags.string({
      summary: "Bytes per message: 128, 1KiB (1024), 1KB (1000), 1MiB.",
      default: "128",
      helpValue: "SIZE",
    }),
    pub: Flags.integer({
      summary: "Publisher clients, each on its own connection.",
      aliases: ["clients"],
      min: 1,
      default: 1,
    }),
    window: Flags.integer({
      summary: "Messages in flight (sent, not yet acked) per publisher.",
      min: 1,
      default: 100,
    }),
    "ack-policy": Flags.string({
      summary: "Who must have a message before its ack (none: no ack, no latency).",
      options: ["leader", "all", "none"],
      default: "leader",
    }),
    timeout: Flags.string({
      summary: "How long a message may wait for its ack, and a subscriber for a message.",
      default: "5s",
      helpValue: "DURATION",
    }),
    sub: Flags.integer({
      summary: "Subscriber clients, each reading every partition while the publishers run.",
      min: 0,
      default: 0,
    }),
    stream: Flags.string({
      summary: "Publish to this existing stream (left in place) instead of a temporary one.",
      helpValue: "NAME",
    }),
    create: Flags.boolean({
      summary: "Create --stream for the run and delete it afterwards; fails if it exists.",
      dependsOn: ["stream"],
    }),
    partitions: Flags.integer({
      summary: "Partitions of the stream the run creates (default 1).",
      min: 1,
      helpGroup: "CREATED STREAM",
    }),
    "replication-factor": Flags.integer({
      char: "r",
      summary: "Replicas per partition of the stream the run creates (-1: one per broker).",
      min: -1,
      helpGroup: "CREATED STREAM",
    }),
    "sync-policy": Flags.string({
      summary: "Sync policy of the stream the run creates (default: the brokers').",
      options: ["always", "interval", "none"],
      helpGroup: "CREATED STREAM",
    }),
  };

  private readonly control = new RunControl();
  private interrupted = false;
  private readonly clients: LiftbridgeClient[] = [];

  async run(): Promise<void> {
    const flags = this.flags;
    const ackPolicy = flags["ack-policy"] as AckPolicyName;
    const size = parseSize(flags.size, "--size");
    const timeoutMs = parseDurationMs(flags.timeout, "--timeout");
    if (timeoutMs === 0) throw new UsageError(`--timeout "${flags.timeout}": must be more than 0`);
    const durationMs =
      flags.duration === undefined ? undefined : parseDurationMs(flags.duration, "--duration");
    if (durationMs === 0) {
      throw new UsageError(`--duration "${flags.duration}": must be more than 0`);
    }
    const msgs = durationMs === undefined ? (flags.msgs ?? DEFAULT_MSGS) : undefined;
    if (msgs !== undefined && msgs < flags.pub) {
      throw new UsageError(
        `--msgs ${msgs}: fewer messages than --pub ${flags.pub} publishers`,
        "give each publisher at least one message",
      );
    }
    const creates = flags.stream === undefined || flags.create;
    if (!creates) {
      for (const flag of ["partitions", "replication-factor", "sync-policy"] as const) {
        if (flags[flag] !== undefined) {
          throw new UsageError(
            `--${flag}: only for a stream the run creates, not the existing --stream ${flags.stream}`,
            "add --create to create it, or leave out --stream for a temporary one",
          );
        }
      }
    }

    // From here on Ctrl-C stops the run rather than the process, so that what the run created
    // is deleted; a second Ctrl-C kills it.
    const onInterrupt = () => {
      this.interrupted = true;
      this.control.stop();
    };
    process.once("SIGINT", onInterrupt);
    let outcome: { report: BenchReport; deleteFailure: string | undefined };
    try {
      outcome = await this.runOnStream(creates, { ackPolicy, size, timeoutMs, durationMs, msgs });
    } finally {
      process.removeListener("SIGINT", onInterrupt);
    }
    const { report, deleteFailure } = outcome;
    this.print(report);
    if (deleteFailure) {
      // The run's own failure, when it had one, is the error line; this is then a warning.
      if (report.errors > 0 || this.interrupted) this.output.info(`warning: ${deleteFailure}`);
      else {
        this.output.error(deleteFailure);
        this.exit(EXIT_FAILURE);
      }
    }
    if (this.interrupted) {
      this.output.info("interrupted: the numbers above cover the run until Ctrl-C");
      this.exit(EXIT_INTERRUPTED);
    }
    if (report.errors > 0) {
      this.output.error(
        `${report.errors} error${report.errors === 1 ? "" : "s"}, the first: ${report.firstError} (the numbers above stop there)`,
        { errors: report.errors },
      );
      this.exit(EXIT_FAILURE);
    }
  }

  /** Creates the stream (or checks the existing one), measures, and deletes what it created. */
  private async runOnStream(
    creates: boolean,
    settings: RunSettings,
  ): Promise<{ report: BenchReport; deleteFailure: string | undefined }> {
    const flags = this.flags;
    const admin = await this.connect();
    if (this.interrupted) this.exit(EXIT_INTERRUPTED);
    const stream = creates
      ? await createBenchStream(admin, flags.stream ?? temporaryStreamName(), {
          partitions: flags.partitions ?? 1,
          replicationFactor: flags["replication-factor"] ?? 1,
          syncPolicy: flags["sync-policy"] as CreateStreamOptions["syncPolicy"],
        })
      : await existingBenchStream(admin, flags.stream!, settings.ackPolicy);
    let deleteFailure: string | undefined;
    let measured = false;
    const report = await this.measure(admin, stream, settings)
      .then((done) => {
        measured = true;
        return done;
      })
      .finally(async () => {
        for (const client of this.clients) client.close();
        if (!stream.created) return;
        deleteFailure = await admin.deleteStream(stream.name).then(
          () => undefined,
          (err: unknown) =>
            `could not delete stream "${stream.name}" created for the run: ${err instanceof Error ? err.message : String(err)} (delete it with: lb stream delete ${stream.name} --yes)`,
        );
        // The run failed already: its error is the one line, this one a warning.
        if (deleteFailure && !measured) this.output.info(`warning: ${deleteFailure}`);
      });
    report.stream.deleted = stream.created && deleteFailure === undefined;
    return { report, deleteFailure };
  }

  private async measure(
    admin: LiftbridgeClient,
    stream: BenchStream,
    settings: RunSettings,
  ): Promise<BenchReport> {
    const flags = this.flags;
    const before = stream.created
      ? Array.from({ length: stream.partitions }, () => -1)
      : await highWatermarks(admin, stream);
    const [publisherClients, subscriberClients] = await Promise.all([
      this.connectClients(flags.pub),
      this.connectClients(flags.sub),
    ]);
    const startOffsets = before.map((hw) => hw + 1);
    const subscribers = subscriberClients.map(
      (client, i) =>
        new SubscriberClient(client, new SubscriberStats(i + 1), stream.name, startOffsets),
    );
    await Promise.all(subscribers.map((subscriber) => subscriber.open()));

    const plan: PublishPlan = {
      stream: stream.name,
      partitions: stream.partitions,
      payload: randomBytes(settings.size),
      window: flags.window,
      ackPolicy: settings.ackPolicy,
      timeoutMs: settings.timeoutMs,
    };
    const publishers = publisherClients.map((_, i) => new PublisherStats(i + 1));
    this.describeRun(stream, settings);
    let startedAt = performance.now();
    const progress = new Progress(this.output, true, () =>
      this.progressText(publishers, settings.msgs, settings.durationMs, startedAt),
    );
    startedAt = performance.now();
    progress.tick(true);
    const ticker = setInterval(() => progress.tick(), 200);
    try {
      for (const subscriber of subscribers) {
        subscriber.start(startedAt, (message) => this.control.fail(message));
      }
      await Promise.all(
        publisherClients.map((client, i) =>
          runPublisher(
            client,
            publishers[i]!,
            plan,
            this.limitFor(i, settings.msgs, startedAt, settings.durationMs),
            this.control,
          ),
        ),
      );
      const completed = publishers.reduce((sum, p) => sum + p.completed, 0);
      const after = await this.storedEnd(admin, stream, before, completed, settings.timeoutMs);
      await Promise.all(
        subscribers.map((subscriber) =>
          this.interrupted || !after
            ? subscriber.cancel()
            : subscriber
                .finish(after, settings.timeoutMs)
                .catch((err: Error) => this.control.fail(err.message)),
        ),
      );
      return {
        stream: {
          name: stream.name,
          created: stream.created,
          deleted: false,
          partitions: stream.partitions,
        },
        messageSize: settings.size,
        ackPolicy: settings.ackPolicy,
        window: flags.window,
        msgs: settings.msgs ?? null,
        durationMs: settings.durationMs ?? null,
        publish: summarizePublishers(publishers, settings.size, settings.ackPolicy),
        subscribe: summarizeSubscribers(subscribers.map((s) => s.stats)),
        stored: after ? storedSince(before, after) : null,
        errors: this.control.errors,
        firstError: this.control.firstError ?? null,
        interrupted: this.interrupted,
      };
    } finally {
      clearInterval(ticker);
      progress.done();
      for (const subscriber of subscribers) subscriber.cancel();
    }
  }

  /**
   * Where the partitions ended once what was acked is committed; undefined (and an error of the
   * run) when the cluster does not say within `timeoutMs`, so the numbers are still printed.
   */
  private async storedEnd(
    admin: LiftbridgeClient,
    stream: BenchStream,
    before: readonly number[],
    completed: number,
    timeoutMs: number,
  ): Promise<number[] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
    });
    try {
      return await Promise.race([settledHighWatermarks(admin, stream, before, completed), late]);
    } catch (err) {
      this.control.fail(
        `reading the high watermarks of stream "${stream.name}": ${err instanceof Error ? err.message : String(err)}`,
      );
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A client per publisher or subscriber, each with its own connections. */
  private async connectClients(count: number): Promise<LiftbridgeClient[]> {
    const addresses = parseAddressList(this.flags.address, "--address");
    return Promise.all(
      Array.from({ length: count }, async () => {
        const client = await LiftbridgeClient.connect(addresses, {
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
        });
        this.clients.push(client);
        return client;
      }),
    );
  }

  /** Publisher i's share: msgs split evenly (the first ones take the remainder), or the clock. */
  private limitFor(
    i: number,
    msgs: number | undefined,
    startedAt: number,
    durationMs: number | undefined,
  ): PublishLimit {
    if (msgs === undefined) return { untilMs: startedAt + durationMs! };
    const share = Math.floor(msgs / this.flags.pub);
    return { messages: share + (i < msgs % this.flags.pub ? 1 : 0) };
  }

  private describeRun(
    stream: BenchStream,
    settings: { ackPolicy: AckPolicyName; size: number; durationMs?: number; msgs?: number },
  ): void {
    const flags = this.flags;
    const amount =
      settings.msgs === undefined
        ? `messages of ${formatCount(settings.size)} B for ${flags.duration}`
        : `${formatCount(settings.msgs)} messages of ${formatCount(settings.size)} B`;
    const where = stream.created
      ? `stream ${stream.name} (created for the run: ${stream.partitions} partition${stream.partitions === 1 ? "" : "s"}, replication factor ${flags["replication-factor"] ?? 1})`
      : `stream ${stream.name} (${stream.partitions} partition${stream.partitions === 1 ? "" : "s"})`;
    const subs = flags.sub > 0 ? `, ${flags.sub} subscriber${flags.sub === 1 ? "" : "s"}` : "";
    this.output.info(
      `bench: ${amount} to ${where}, ${flags.pub} publisher${flags.pub === 1 ? "" : "s"} with ${flags.window} in flight each, ack ${settings.ackPolicy}${subs}`,
    );
  }

  private progressText(
    publishers: readonly PublisherStats[],
    msgs: number | undefined,
    durationMs: number | undefined,
    startedAt: number,
  ): string {
    const elapsedMs = performance.now() - startedAt;
    const done = publishers.reduce((sum, p) => sum + p.completed, 0);
    const errors = publishers.reduce((sum, p) => sum + p.errors, 0);
    const fraction = Math.min(1, msgs === undefined ? elapsedMs / durationMs! : done / msgs);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}]`;
    const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const of = msgs === undefined ? "" : `/${formatCount(msgs)}`;
    return `${bar} ${Math.floor(fraction * 100)}% ${formatCount(done)}${of} msgs, ${formatCount(rate)} msgs/s, ${errors} errors`;
  }

  private print(report: BenchReport): void {
    if (this.flags.json) {
      this.output.json(report);
      return;
    }
    this.output.table(TABLE_HEADERS, tableRows(report));
    this.output.info(summaryLine(report));
    if (report.stream.deleted) this.output.info(`deleted stream ${report.stream.name}`);
  }
}
