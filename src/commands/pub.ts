import { Args, Flags } from "@oclif/core";
import { parseDurationMs } from "../cli/duration.js";
import { EXIT_FAILURE } from "../cli/failure.js";
import { parseHeaderFlags } from "../cli/flag-values.js";
import { InFlightLimit } from "../cli/in-flight.js";
import { LbCommand } from "../cli/lb-command.js";
import { readLines } from "../cli/lines.js";
import { ackToJson } from "../cli/message-json.js";
import { UsageError } from "../cli/usage-error.js";
import {
  type Ack,
  type AckPolicyName,
  type AsyncPublisher,
  ackPartition,
  LbError,
  type PartitionerName,
  type PublishOptions,
} from "../client/index.js";

/** Messages sent but not yet acked, at most; enough to keep the pipe full. */
const MAX_IN_FLIGHT = 1000;

export default class Pub extends LbCommand<typeof Pub> {
  static override summary = "Publish messages to a stream.";
  static override description =
    "Sends VALUE, or one message per line of stdin until EOF when VALUE is not given. Sends are " +
    "pipelined; each ack is printed (partition and offset), with a total on stderr. Any failed " +
    "or missing ack makes the exit code 1.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders hello",
    "<%= config.bin %> <%= command.id %> orders '{\"id\":9}' -k c-17 -H source=web --ack-policy all",
    "seq 1000 | <%= config.bin %> <%= command.id %> orders --partitioner round-robin -q",
    "cat events.jsonl | <%= config.bin %> <%= command.id %> events --json",
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
    key: Flags.string({ char: "k", summary: "Message key (also what --partitioner key hashes)." }),
    header: Flags.string({
      char: "H",
      summary: "Header KEY=VALUE; repeat for more.",
      multiple: true,
      helpValue: "KEY=VALUE",
    }),
    partition: Flags.integer({
      char: "p",
      summary: "Partition to publish to (default 0).",
      min: 0,
      exclusive: ["partitioner"],
    }),
    partitioner: Flags.string({
      summary: "Pick the partition by key hash or in turn.",
      options: ["key", "round-robin"],
    }),
    "ack-policy": Flags.string({
      summary: "Who must have the message before the ack.",
      options: ["leader", "all", "none"],
      default: "leader",
    }),
    timeout: Flags.string({
      summary: "How long to wait for each ack.",
      default: "5s",
      helpValue: "DURATION",
    }),
    quiet: Flags.boolean({ char: "q", summary: "Print only the total." }),
  };

  private acked = 0;
  private failed = 0;
  private sent = 0;
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
    const client = await this.connect();
    const metadata = await client.fetchMetadata([stream]);
    const info = metadata.stream(stream);
    if (!info) {
      throw new LbError("not_found", `stream "${stream}" not found`, {
        hint: "see: lb stream list",
      });
    }
    if (options.partition !== undefined && options.partition >= info.partitions.length) {
      const count = info.partitions.length;
      throw new LbError(
        "not_found",
        `stream "${stream}" has no partition ${options.partition} (it has ${count}: 0 to ${count - 1})`,
        { hint: `see: lb describe ${stream}` },
      );
    }

    const publisher = client.publisher({ timeoutMs: options.timeoutMs });
    const inFlight = new InFlightLimit(MAX_IN_FLIGHT);
    const messages = value === undefined ? this.stdinLines() : [Buffer.from(value)];
    try {
      for await (const message of messages) {
        const number = ++this.sent;
        await inFlight.start(() => this.publishOne(publisher, stream, message, options, number));
      }
      await inFlight.idle();
    } finally {
      await publisher.close();
    }
    this.printTotal(ackPolicy);
    if (this.failed > 0) this.exit(EXIT_FAILURE);
  }

  private stdinLines(): AsyncIterable<Uint8Array> {
    if (process.stdin.isTTY) {
      this.output.info("reading messages from stdin, one per line; Ctrl-D to finish");
    }
    return readLines(process.stdin);
  }

  /** Publishes one message and reports its outcome; never rejects. */
  private async publishOne(
    publisher: AsyncPublisher,
    stream: string,
    message: Uint8Array,
    options: PublishOptions,
    number: number,
  ): Promise<void> {
    let ack: Ack | undefined;
    try {
      ack = await publisher.publish(stream, message, options);
    } catch (err) {
      this.failed++;
      this.output.error(`message ${number}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!ack) return; // ack policy none
    this.acked++;
    const partition = ackPartition(ack);
    this.partitionsUsed.add(partition);
    if (this.flags.quiet) return;
    if (this.flags.json) await this.output.jsonLine(ackToJson(ack));
    else await this.output.data(`partition ${partition} offset ${ack.offset}\n`);
  }

  private printTotal(ackPolicy: AckPolicyName): void {
    if (ackPolicy === "none") {
      this.output.info(
        `${this.sent - this.failed} sent without acks (ack policy none), ${this.failed} failed`,
      );
      return;
    }
    const partitions = this.partitionsUsed.size;
    this.output.info(
      `${this.acked} acked on ${partitions} partition${partitions === 1 ? "" : "s"}, ${this.failed} failed`,
    );
  }
}
