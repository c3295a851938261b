import { Args, Flags } from "@oclif/core";
import { parseDurationMs } from "../../cli/duration.js";
import { LbCommand } from "../../cli/lb-command.js";
import { type SettingDifference, settingDifferences } from "../../cli/stream-settings.js";
import { describeStreamSettings } from "../../cli/stream-summary.js";
import { UsageError } from "../../cli/usage-error.js";
import { type CreateStreamOptions, isLbError, type LiftbridgeClient } from "../../client/index.js";

const durationFlag = (summary: string) =>
  Flags.string({ summary, helpValue: "DURATION", helpGroup: "STREAM SETTINGS" });
const countFlag = (summary: string) =>
  Flags.integer({ summary, min: 0, helpGroup: "STREAM SETTINGS" });
const switchFlag = (summary: string) =>
  Flags.boolean({ summary, allowNo: true, helpGroup: "STREAM SETTINGS" });

export default class StreamCreate extends LbCommand<typeof StreamCreate> {
  static override summary = "Create a stream attached to a NATS subject.";
  static override description =
    "Partition p > 0 of a stream on subject S reads S.p. Settings not given take the server's " +
    "defaults; durations are Go-style (500ms, 30s, 1h30m).";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders --subject orders",
    "<%= config.bin %> <%= command.id %> orders --subject orders --partitions 3 -r 3",
    "<%= config.bin %> <%= command.id %> audit --subject audit --retention-max-age 24h --compact",
    "<%= config.bin %> <%= command.id %> orders --subject orders --if-not-exists --json",
  ];

  static override args = {
    name: Args.string({
      description: "Name of the stream, unique in the cluster.",
      required: true,
      ignoreStdin: true,
    }),
  };

  static override flags = {
    subject: Flags.string({ summary: "NATS subject the stream stores.", required: true }),
    partitions: Flags.integer({ summary: "Number of partitions.", min: 1, default: 1 }),
    "replication-factor": Flags.integer({
      char: "r",
      summary: "Replicas per partition (-1: one per broker).",
      min: -1,
      default: 1,
    }),
    group: Flags.string({
      summary: "Load-balance group shared with other streams on the subject.",
    }),
    "if-not-exists": Flags.boolean({ summary: "Succeed when the stream already exists." }),
    "retention-max-bytes": countFlag("Delete old segments beyond this many bytes (0: no limit)."),
    "retention-max-messages": countFlag(
      "Delete old segments beyond this many messages (0: no limit).",
    ),
    "retention-max-age": durationFlag("Delete segments older than this (0: no limit)."),
    "cleaner-interval": durationFlag("How often retention and compaction run."),
    "segment-max-bytes": countFlag("Roll a new segment at this size."),
    "segment-max-age": durationFlag("Roll a new segment at this age."),
    compact: switchFlag("Keep only the newest message per key."),
    "compact-max-goroutines": countFlag("Concurrency of compaction."),
    "auto-pause-time": durationFlag("Pause a partition idle for this long (0: never)."),
    "auto-pause-disable-if-subscribers": switchFlag(
      "Do not auto-pause partitions with subscribers.",
    ),
    "min-isr": countFlag("In-sync replicas needed to commit a message."),
    "optimistic-concurrency-control": switchFlag("Check expected offsets on publish."),
    encryption: switchFlag("Encrypt data at rest."),
    "sync-policy": Flags.option({
      options: ["always", "interval", "none"] as const,
      summary: "lb's own: when acks wait for fsync, overriding streams.sync.policy.",
    })(),
  };

  async run(): Promise<void> {
    const { name } = this.args;
    const options = this.streamOptions();
    const client = await this.connect();
    let result = "created";
    let differences: SettingDifference[] = [];
    try {
      await client.createStream(this.flags.subject, name, options);
    } catch (err) {
      if (!this.flags["if-not-exists"] || !isLbError(err, "already_exists")) {
        throw isLbError(err, "already_exists") && !err.hint
          ? err.with({ hint: "use --if-not-exists to accept an existing stream" })
          : err;
      }
      result = "exists";
      differences = await this.differencesFromExisting(client, options);
    }
    const stream = (await client.fetchMetadata([name])).stream(name);
    const partitions = stream?.partitions.length ?? options.partitions ?? 1;
    const replicas = stream?.partitions[0]?.replicas.length ?? options.replicationFactor ?? 1;
    if (differences.length > 0) {
      this.output.info(
        `lb: warning: stream "${name}" exists with other settings than asked: ${differences
          .map((d) => `${d.setting} ${d.existing} (asked ${d.requested})`)
          .join(", ")}; it was left as it is`,
      );
    }
    if (this.flags.json) {
      this.output.json({
        stream: name,
        partitions,
        replicationFactor: replicas,
        result,
        ...(result === "exists" ? { differences } : {}),
      });
    } else {
      this.output.table(
        ["STREAM", "PARTITIONS", "REPLICAS", "RESULT"],
        [[name, String(partitions), String(replicas), result]],
      );
    }
  }

  /** What the existing stream has that this command asked otherwise (lb.admin needed). */
  private async differencesFromExisting(
    client: LiftbridgeClient,
    options: CreateStreamOptions,
  ): Promise<SettingDifference[]> {
    const description = (await describeStreamSettings(client, [this.args.name])).get(
      this.args.name,
    );
    if (!description) return [];
    const asked = { ...options, subject: this.flags.subject, partitions: this.flags.partitions };
    // Only flags actually typed count: a default partition count of 1 is not a request.
    const typed = (flag: string) =>
      this.argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
    if (!typed("partitions")) asked.partitions = description.config.partitions;
    const rf =
      typed("replication-factor") ||
      this.argv.includes("-r") ||
      this.argv.some((a) => /^-r\d/.test(a))
        ? options.replicationFactor
        : undefined;
    return settingDifferences(asked, description, rf);
  }

  private streamOptions(): CreateStreamOptions {
    const f = this.flags;
    const duration = (flag: keyof typeof f) => {
      const text = f[flag];
      return typeof text === "string" ? parseDurationMs(text, `--${flag}`) : undefined;
    };
    if (f["replication-factor"] === 0) {
      throw new UsageError(
        "--replication-factor 0: expected -1 (one replica per broker) or a number from 1 up",
      );
    }
    return {
      partitions: f.partitions,
      replicationFactor: f["replication-factor"],
      group: f.group,
      retentionMaxBytes: f["retention-max-bytes"],
      retentionMaxMessages: f["retention-max-messages"],
      retentionMaxAgeMs: duration("retention-max-age"),
      cleanerIntervalMs: duration("cleaner-interval"),
      segmentMaxBytes: f["segment-max-bytes"],
      segmentMaxAgeMs: duration("segment-max-age"),
      compactEnabled: f.compact,
      compactMaxGoroutines: f["compact-max-goroutines"],
      autoPauseTimeMs: duration("auto-pause-time"),
      autoPauseDisableIfSubscribers: f["auto-pause-disable-if-subscribers"],
      minIsr: f["min-isr"],
      optimisticConcurrencyControl: f["optimistic-concurrency-control"],
      encryption: f.encryption,
      syncPolicy: f["sync-policy"],
    };
  }
}
