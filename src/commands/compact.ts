import { Args, Flags } from "@oclif/core";
import { parsePartitionList } from "../cli/flag-values.js";
import { LbCommand } from "../cli/lb-command.js";
import { Progress } from "../cli/progress.js";
import { requireStreamPartition } from "../cli/require-partition.js";
import type { LiftbridgeClient, PartitionCompaction } from "../client/index.js";

async function allPartitionIds(client: LiftbridgeClient, stream: string): Promise<number[]> {
  const info = await requireStreamPartition(client, stream, 0);
  return info.partitions.map((p) => p.id);
}

export default class Compact extends LbCommand<typeof Compact> {
  static override summary = "Compact a stream now: keep the newest message per key.";
  static override description =
    "Runs on each partition's leader, through lb's own admin service. Records without a key are kept, offsets are preserved, and the active segment is left as it is. Prints records and bytes before and after; on a terminal, progress per partition.";
  static override examples = [
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders -p 1 --json",
  ];

  static override args = {
    stream: Args.string({ description: "Stream to compact.", required: true, ignoreStdin: true }),
  };

  static override flags = {
    partition: Flags.string({
      char: "p",
      summary: "Partitions to compact, e.g. 0,2 (default: all).",
      helpValue: "P[,P...]",
    }),
  };

  async run(): Promise<void> {
    const { stream } = this.args;
    const partitions = this.flags.partition ? parsePartitionList(this.flags.partition) : [];
    const client = await this.connect();
    const ids = partitions.length ? partitions : await allPartitionIds(client, stream);
    const results: PartitionCompaction[] = [];
    const progress = new Progress(
      this.output,
      true,
      () => `compacting stream ${stream}: ${results.length} of ${ids.length} partitions done`,
    );
    try {
      for (const id of ids) {
        progress.tick(true);
        results.push(...(await client.compact(stream, [id])));
      }
    } finally {
      progress.done();
    }
    if (this.flags.json) {
      this.output.json({ stream, partitions: results });
      return;
    }
    this.output.table(
      ["PARTITION", "RECORDS BEFORE", "RECORDS AFTER", "BYTES BEFORE", "BYTES AFTER"],
      results.map((r) => [
        String(r.partition),
        String(r.recordsBefore),
        String(r.recordsAfter),
        String(r.bytesBefore),
        String(r.bytesAfter),
      ]),
    );
  }
}
