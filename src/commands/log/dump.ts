import { Command, Flags } from "@oclif/core";
import { bytesToJson } from "../../cli/bytes-json.js";
import { Output } from "../../cli/output.js";
import { formatTimestampNanos } from "../../cli/time.js";
import { type InspectedRecord, inspectPartition } from "../../server/log/log-inspection.js";
import { decodeMessage } from "../../wire/api.js";
import { failOn, PATH_ARGUMENT, partitionLabel, partitionsAt } from "./verify.js";

interface DumpedRecord {
  stream?: string;
  partition?: number;
  offset: number;
  timestamp: string | null;
  leaderEpoch: number | null;
  key: string | { b64: string } | null;
  valueSize: number | null;
  /** Only with --values. */
  value?: string | { b64: string } | null;
  crcOk: boolean;
  problem?: string;
  segment: string;
  position: number;
}

export default class LogDump extends Command {
  static override summary = "Print the records of a stopped broker's commit log files.";
  static override description =
    "One line per record: offset, timestamp (RFC 3339), key, value size and whether its CRC-32C checks out; --values adds the value (text when it is UTF-8, else b64:BASE64). Damaged records are printed too, marked. Files are only read.\n\nExit status: 0 when every record printed is sound, 1 when any printed record is damaged, 2 on bad usage.";

  static override examples = [
    "<%= config.bin %> <%= command.id %> /var/lib/lb/streams/orders/0 --from 100 --count 10",
    "<%= config.bin %> <%= command.id %> /var/lib/lb/streams/orders --json",
  ];

  static override args = { path: PATH_ARGUMENT };

  static override flags = {
    from: Flags.integer({ summary: "First offset to print.", min: 0, default: 0 }),
    count: Flags.integer({ summary: "Print at most this many records per partition.", min: 0 }),
    values: Flags.boolean({
      summary: "Print each record's value too (encrypted streams: as stored).",
    }),
    json: Flags.boolean({ summary: "Print one JSON object per record (JSON Lines)." }),
    color: Flags.boolean({ summary: "Colour output on a terminal.", default: true, allowNo: true }),
    debug: Flags.boolean({ summary: "Print the stack trace of an error." }),
  };

  private output = new Output(!process.argv.includes("--no-color"));

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LogDump);
    this.output = new Output(flags.color);
    const partitions = await partitionsAt(args.path);
    let damaged = 0;
    for (const location of partitions) {
      if (!flags.json) {
        if (partitions.length > 1) this.output.line(`# ${partitionLabel(location)}`);
        const columns = ["OFFSET", "TIMESTAMP", "KEY", "VALUE SIZE", "CRC"];
        this.output.line((flags.values ? [...columns, "VALUE"] : columns).join("\t"));
      }
      let printed = 0;
      for await (const record of inspectPartition(location.dir)) {
        if (flags.count !== undefined && printed >= flags.count) break;
        if (record.offset < flags.from) continue;
        const dumped = {
          stream: location.stream,
          partition: location.partition === undefined ? undefined : Number(location.partition),
          ...describe(record, flags.values),
        };
        if (flags.json) await this.output.jsonLine(dumped);
        else await this.output.data(`${humanLine(dumped)}\n`);
        printed++;
        if (dumped.problem) damaged++;
      }
    }
    if (damaged > 0) {
      this.output.error(`${damaged} damaged record${damaged === 1 ? "" : "s"} printed`);
      this.exit(1);
    }
  }

  protected override async catch(err: Error & { code?: string }): Promise<void> {
    failOn(this, this.output, err);
  }
}

function describe(record: InspectedRecord, withValue: boolean): DumpedRecord {
  let key: DumpedRecord["key"] = null;
  let value: DumpedRecord["value"] = null;
  let valueSize: number | null = null;
  let problem = record.problem;
  if (record.body) {
    try {
      const message = decodeMessage(record.body);
      key = message.key.length > 0 ? bytesToJson(message.key) : null;
      valueSize = message.value.length;
      value = bytesToJson(message.value);
    } catch (err) {
      problem ??= `the body is not a protobuf Message: ${(err as Error).message}`;
    }
  }
  return {
    offset: record.offset,
    timestamp: record.timestamp === undefined ? null : formatTimestamp(record.timestamp),
    leaderEpoch: record.leaderEpoch ?? null,
    key,
    valueSize,
    ...(withValue ? { value } : {}),
    crcOk: record.crcOk,
    ...(problem ? { problem } : {}),
    segment: record.segment,
    position: record.position,
  };
}

function humanBytes(bytes: DumpedRecord["key"] | undefined): string {
  if (bytes === null || bytes === undefined) return "-";
  return typeof bytes === "string" ? JSON.stringify(bytes) : `b64:${bytes.b64}`;
}

function humanLine(record: DumpedRecord): string {
  const crc = record.crcOk ? "ok" : "BAD";
  const columns = [
    record.offset,
    record.timestamp ?? "-",
    humanBytes(record.key),
    record.valueSize ?? "-",
    record.problem ? `${crc} (${record.problem})` : crc,
  ];
  if ("value" in record) columns.push(humanBytes(record.value));
  return columns.join("\t");
}

/** RFC 3339; a damaged record's timestamp may be beyond what a date can show. */
function formatTimestamp(nanos: bigint): string {
  try {
    return formatTimestampNanos(nanos);
  } catch {
    return `${nanos}ns`;
  }
}
