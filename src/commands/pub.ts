import { open } from "node:fs/promises";
import { Args, Flags } from "@oclif/core";
import { parseDurationMs } from "../cli/duration.js";
import { EXIT_FAILURE } from "../cli/failure.js";
import { parseHeaderFlags } from "../cli/flag-values.js";
import { InFlightLimit } from "../cli/in-flight.js";
import { LbCommand } from "../cli/lb-command.js";
import { parseDelimiter, readRecords } from "../cli/lines.js";
import { ackToJson } from "../cli/message-json.js";
import { Progress } from "../cli/progress.js";
import { requireStreamPartition } from "../cli/require-partition.js";
import { hasWildcard, subjectMatches } from "../cli/subject-match.js";
import { refuseUnackedOcc } from "../cli/unacked-occ.js";
import { UsageError } from "../cli/usage-error.js";
import {
  type Ack,
  type AckPolicyName,
  type AsyncPublisher,
  ackPartition,
  type LiftbridgeClient,
  type PartitionerName,
  type PublishOptions,
  partitionSubject,
  type StreamInfo,
} from "../client/index.js";

/** Messages sent but not yet acked, at most; enough to keep the pipe full. */
const MAX_IN_FLIGHT = 1000;

/** Sends one message, however it goes (to a stream partition or to a subject). */
type Send = (value: Uint8Array, options: PublishOptions) => Promise<Ack | undefined>;

export default class Pub extends LbCommand<typeof Pub> {
  static override summary = "Publish messages to a stream.";
  static override description =
    "Sends VALUE, or one message per line of stdin until EOF when VALUE is not given (a trailing " +
    "CR is dropped; -D sets another delimiter), or a file whole with --file. Sends are " +
    "pipelined; each ack is printed (partition and offset), with a total on stderr. The first " +
    "failed or missing ack stops the command with one line saying why and what got through; " +
    "the exit code is then 1. A stream on a wildcard subject takes messages on a concrete " +
    "subject it matches: give it with --subject.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders hello",
    "<%= config.bin %> <%= command.id %> orders '{\"id\":9}' -k c-17 -H source=web --ack-policy all",
    "seq 1000 | <%= config.bin %> <%= command.id %> orders --partitioner round-robin -q",
    "printf 'c-1:one\\nc-2:two\\n' | <%= config.bin %> <%= command.id %> orders -K : --partitioner key",
    "find . -print0 | <%= config.bin %> <%= command.id %> files -D '\\0'",
    "<%= config.bin %> <%= command.id %> events '{\"id\":1}' --subject events.eu --json",
  ];

  static override args = {
    stream: Args.string({
      description: "Stream to publish to.",
      required: true,
      ignoreStdin: true,
    }),
    value: Args.string({
      description: "The message; without it, stdin is read line by line.",
      ignoreStdin: true,
    }),
  };

  static override flags = {
    key: Flags.string({
      char: "k",
      summary: "Message key (also what --partitioner key hashes).",
      exclusive: ["key-delimiter"],
    }),
    "key-delimiter": Flags.string({
      char: "K",
      summary: "Split each message at the first DELIM: the key before it, the value after.",
      helpValue: "DELIM",
    }),
    header: Flags.string({
      char: "H",
      summary: "Header KEY=VALUE; repeat for more (each key once).",
      multiple: true,
      helpValue: "KEY=VALUE",
    }),
    partition: Flags.integer({
      char: "p",
      summary: "Partition to publish to (default 0).",
      min: 0,
      exclusive: ["partitioner", "subject"],
    }),
    partitioner: Flags.string({
      summary: "Pick the partition by key hash or in turn.",
      options: ["key", "round-robin"],
      exclusive: ["subject"],
    }),
    subject: Flags.string({
      summary: "Publish on this concrete NATS subject, which the stream must match.",
      description:
        "Needed for a stream on a wildcard subject (orders.*): the message goes to the partition " +
        "whose subject it matches. Every other stream on that subject stores it too.",
      helpValue: "SUBJECT",
    }),
    "ack-policy": Flags.string({
      summary: "Who must have the message before the ack.",
      options: ["leader", "all", "none"],
      default: "leader",
    }),
    timeout: Flags.string({
      summary: "How long each message may take, retries during a failover included.",
      default: "5s",
      helpValue: "DURATION",
    }),
    file: Flags.string({
      summary: "Send this file as one message (or one per -D delimited record).",
      helpValue: "PATH",
      exclusive: ["value"],
    }),
    delimiter: Flags.string({
      char: "D",
      summary: "Record delimiter for stdin or --file; escapes \\n \\r \\t \\0 (NUL) \\\\.",
      helpValue: "DELIM",
    }),
    quiet: Flags.boolean({ char: "q", summary: "Print only the total." }),
  };

  private acked = 0;
  private failed = 0;
  private sent = 0;
  private firstFailure: { number: number; message: string } | undefined;
  private readonly partitionsUsed = new Set<number>();

  async run(): Promise<void> {
    const { stream, value } = this.args;
    const ackPolicy = this.flags["ack-policy"] as AckPolicyName;
    const options: PublishOptions = {
      key: this.flags.key,
      headers: parseHeaderFlags(this.flags.header ?? []),
      partition: this.flags.partition,
      partitioner: this.flags.partitioner as PartitionerName | undefined,
      ackPolicy,
      timeoutMs: parseDurationMs(this.flags.timeout, "--timeout"),
    };
    if (options.timeoutMs === 0) {
      throw new UsageError(`--timeout "${this.flags.timeout}": must be more than 0`);
    }
    if (value !== undefined && this.flags.file !== undefined) {
      throw new UsageError("give VALUE or --file, not both");
    }
    const keyDelimiter =
      this.flags["key-delimiter"] === undefined
        ? undefined
        : parseDelimiter(this.flags["key-delimiter"], "--key-delimiter");
    const delimiter =
      this.flags.delimiter === undefined
        ? undefined
        : parseDelimiter(this.flags.delimiter, "--delimiter");
    if (value !== undefined && delimiter !== undefined) {
      throw new UsageError("--delimiter splits stdin or --file, not VALUE");
    }

    const client = await this.connect();
    const info = await requireStreamPartition(client, stream, options.partition ?? 0);
    if (ackPolicy === "none") await refuseUnackedOcc(client, stream);

    const publisher = client.publisher({ timeoutMs: options.timeoutMs });
    const send = this.sender(client, publisher, info);
    const inFlight = new InFlightLimit(MAX_IN_FLIGHT);
    // Not between ack lines on the same terminal: only when they are off it or not printed.
    const showProgress = this.flags.quiet || !this.output.stdoutIsTTY;
    const progress = new Progress(this.output, showProgress, () => this.progressText());
    try {
      for await (const record of await this.messages(value, delimiter)) {
        if (this.firstFailure) break;
        const number = ++this.sent;
        const messageOptions = keyDelimiter
          ? this.splitKey(record, keyDelimiter, options, number)
          : { value: record, options };
        if (!messageOptions) break;
        await inFlight.start(() =>
          this.publishOne(send, messageOptions.value, messageOptions.options, number),
        );
        progress.tick();
      }
      await inFlight.idle();
    } finally {
      progress.done();
      await publisher.close();
    }
    if (this.firstFailure) {
      this.reportStop(ackPolicy);
      this.exit(EXIT_FAILURE);
    }
    this.output.info(this.totalText(ackPolicy));
  }

  /** How messages go out: to a partition through PublishAsync, or to --subject. */
  private sender(client: LiftbridgeClient, publisher: AsyncPublisher, info: StreamInfo): Send {
    const subject = this.flags.subject;
    if (subject === undefined) {
      if (hasWildcard(info.subject)) {
        throw new UsageError(
          `stream "${info.name}" is on the wildcard subject "${info.subject}": a message needs a concrete subject it matches`,
          `give one with --subject, e.g. --subject ${info.subject.replace(/\*|>/g, "x")}`,
        );
      }
      return (value, options) => publisher.publish(info.name, value, options);
    }
    if (hasWildcard(subject) || subject.trim() === "" || /\s/.test(subject)) {
      throw new UsageError(`--subject "${subject}": expected a concrete NATS subject (no * or >)`);
    }
    const matched = info.partitions.some((p) =>
      subjectMatches(partitionSubject(info.subject, p.id), subject),
    );
    if (!matched) {
      throw new UsageError(
        `--subject "${subject}": stream "${info.name}" does not read it (its partitions read ${info.subject}${info.partitions.length > 1 ? `, ${partitionSubject(info.subject, 1)}, ...` : ""})`,
      );
    }
    return (value, options) =>
      client.publishToSubject(subject, value, {
        key: options.key,
        headers: options.headers,
        ackPolicy: options.ackPolicy,
        timeoutMs: options.timeoutMs,
      });
  }

  private async messages(
    value: string | undefined,
    delimiter: Buffer | undefined,
  ): Promise<AsyncIterable<Uint8Array> | Uint8Array[]> {
    if (value !== undefined) return [Buffer.from(value)];
    const path = this.flags.file;
    if (path !== undefined) {
      const file = await open(path).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(
          `--file "${path}": ${err.code === "ENOENT" ? "no such file" : err.message}`,
        );
      });
      if (delimiter === undefined) {
        try {
          return [await file.readFile()];
        } finally {
          await file.close();
        }
      }
      return readRecords(file.createReadStream(), { delimiter });
    }
    if (process.stdin.isTTY) {
      this.output.info("reading messages from stdin, one per line; Ctrl-D to finish");
    }
    return readRecords(process.stdin, { delimiter });
  }

  /** -K: the key is what comes before the first delimiter; a message without one fails. */
  private splitKey(
    record: Uint8Array,
    delimiter: Buffer,
    options: PublishOptions,
    number: number,
  ): { value: Uint8Array; options: PublishOptions } | undefined {
    const bytes = Buffer.from(record);
    const at = bytes.indexOf(delimiter);
    if (at === -1) {
      this.failed++;
      this.firstFailure = {
        number,
        message: `no key delimiter "${this.flags["key-delimiter"]}" in it (-K needs KEY${this.flags["key-delimiter"]}VALUE)`,
      };
      return undefined;
    }
    return {
      value: bytes.subarray(at + delimiter.length),
      options: { ...options, key: bytes.subarray(0, at) },
    };
  }

  /** Publishes one message and reports its outcome; never rejects. */
  private async publishOne(
    send: Send,
    message: Uint8Array,
    options: PublishOptions,
    number: number,
  ): Promise<void> {
    let ack: Ack | undefined;
    try {
      ack = await send(message, options);
    } catch (err) {
      this.failed++;
      this.firstFailure ??= { number, message: err instanceof Error ? err.message : String(err) };
      return;
    }
    if (!ack) return; // ack policy none
    this.acked++;
    const partition = ackPartition(ack);
    this.partitionsUsed.add(partition);
    if (this.flags.quiet) return;
    if (this.flags.json) await this.output.jsonLine(ackToJson(ack));
    else if (ack.stream !== this.args.stream) {
      // Only with --subject: the first stream to store the message answered.
      await this.output.data(`stream ${ack.stream} partition ${partition} offset ${ack.offset}\n`);
    } else await this.output.data(`partition ${partition} offset ${ack.offset}\n`);
  }

  private progressText(): string {
    return `${this.sent} sent, ${this.acked} acked, ${this.failed} failed`;
  }

  private totalText(ackPolicy: AckPolicyName): string {
    if (ackPolicy === "none") {
      return `${this.sent - this.failed} sent without acks (ack policy none), ${this.failed} failed`;
    }
    const partitions = this.partitionsUsed.size;
    return `${this.acked} acked on ${partitions} partition${partitions === 1 ? "" : "s"}, ${this.failed} failed`;
  }

  /** One line for the whole failure, however many messages were in flight when it came. */
  private reportStop(ackPolicy: AckPolicyName): void {
    const first = this.firstFailure!;
    const summary = `${this.totalText(ackPolicy)}; no further message read`;
    this.output.error(`stopped at message ${first.number}: ${first.message} (${summary})`, {
      atMessage: first.number,
      acked: this.acked,
      failed: this.failed,
      sent: this.sent,
    });
  }
}
