import { Args, Command, Flags } from "@oclif/core";
import { describeFailure } from "../../cli/failure.js";
import { Output } from "../../cli/output.js";
import { UsageError } from "../../cli/usage-error.js";
import {
  type InspectedRecord,
  inspectPartition,
  inspectPartitionFiles,
  locatePartitions,
  type PartitionLocation,
} from "../../server/log/log-inspection.js";

export const PATH_ARGUMENT = Args.string({
  name: "PATH",
  required: true,
  description:
    "A stopped broker's data directory, one stream's directory (DATA/streams/NAME) or one partition's (DATA/streams/NAME/ID).",
});

/** The partitions under a PATH argument; a path that holds no commit log is a usage error. */
export async function partitionsAt(path: string): Promise<PartitionLocation[]> {
  const found = await locatePartitions(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") {
      throw new UsageError(`PATH ${path} is not a directory`);
    }
    throw err;
  });
  if (!found || found.length === 0) {
    throw new UsageError(
      `PATH ${path} holds no commit log: expected a data directory (with streams/), a stream directory or a partition directory (with <20 digits>.log files)`,
    );
  }
  return found;
}

/** "stream/partition" when known, else the directory. */
export function partitionLabel(location: PartitionLocation): string {
  if (location.stream !== undefined) return `${location.stream}/${location.partition}`;
  if (location.partition !== undefined) return `partition ${location.partition}`;
  return location.dir;
}

/** One "lb: ..." line and the exit code the error deserves (2 for usage, 1 otherwise). */
export function failOn(command: Command, output: Output, err: Error & { code?: string }): never {
  if (err.code === "EEXIT") throw err;
  const failure = describeFailure(err, command.id);
  output.error(failure.message);
  if (command.argv.includes("--debug") && err.stack) output.info(err.stack);
  return command.exit(failure.exitCode);
}

export default class LogVerify extends Command {
  static override summary = "Check a stopped broker's commit log files for damaged records.";
  static override description =
    `Reads every record of every segment under PATH and checks its framing, CRC-32C and offset. Each damaged record is listed with its segment file, offset and byte position. Files are only read, never repaired (the broker repairs a torn tail when it opens the log).

Also reports index files that do not describe their segment, segments the segment list checkpoint names whose files are gone, and offsets the broker recorded as damaged (damage.checkpoint).

Exit status: 0 when everything is sound, 1 when any record, index or segment is damaged or missing, 2 on bad usage.`;

  static override examples = [
    "<%= config.bin %> <%= command.id %> /var/lib/lb",
    "<%= config.bin %> <%= command.id %> /var/lib/lb/streams/orders/0 --json",
  ];

  static override args = { path: PATH_ARGUMENT };

  static override flags = {
    json: Flags.boolean({ summary: "Print the result as one JSON document." }),
    color: Flags.boolean({ summary: "Colour output on a terminal.", default: true, allowNo: true }),
    debug: Flags.boolean({ summary: "Print the stack trace of an error." }),
  };

  private output = new Output(!process.argv.includes("--no-color"));

  async run(): Promise<void> {
    const { args, flags } = await this.parse(LogVerify);
    this.output = new Output(flags.color);
    const partitions = await partitionsAt(args.path);
    const results = [];
    let damagedTotal = 0;
    let recordsTotal = 0;
    for (const location of partitions) {
      const damaged: InspectedRecord[] = [];
      let records = 0;
      for await (const record of inspectPartition(location.dir)) {
        records++;
        if (!record.problem) continue;
        damaged.push(record);
        if (!flags.json) {
          this.output.line(
            `damaged: ${partitionLabel(location)} segment ${record.segment} offset ${record.offset} position ${record.position}: ${record.problem}`,
          );
        }
      }
      const problems = await inspectPartitionFiles(location.dir);
      if (!flags.json) {
        for (const p of problems) {
          const offsets =
            p.fromOffset === undefined ? "" : ` offsets ${p.fromOffset}-${p.toOffset}`;
          this.output.line(
            `${p.kind}: ${partitionLabel(location)} ${p.file}${offsets}: ${p.reason}`,
          );
        }
      }
      recordsTotal += records;
      damagedTotal += damaged.length + problems.length;
      results.push({
        ...location,
        records,
        problems,
        damaged: damaged.map((r) => ({
          segment: r.segment,
          offset: r.offset,
          position: r.position,
          reason: r.problem,
        })),
      });
    }
    if (flags.json) {
      this.output.json({ records: recordsTotal, damaged: damagedTotal, partitions: results });
    } else {
      this.output.info(
        `checked ${recordsTotal} records in ${partitions.length} partition${partitions.length === 1 ? "" : "s"}: ${damagedTotal === 0 ? "no damage found" : `${damagedTotal} damaged`}`,
      );
    }
    if (damagedTotal > 0) this.exit(1);
  }

  protected override async catch(err: Error & { code?: string }): Promise<void> {
    failOn(this, this.output, err);
  }
}
