import { type FileHandle, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../wire/crc32c.js";
import type { AppliedEntry, ReplicatedLog } from "./replicated-log.js";
import type { MetadataState } from "./state.js";
import type { ApplyResult, MetadataCommand } from "./types.js";

const ENTRY_HEADER = 8; // length u32 BE | crc32c u32 BE (of the JSON bytes)

/**
 * A replicated log with exactly one member: each command is appended to
 * `<dir>/metadata.log` and fdatasync'ed before it is applied, and the whole log is
 * replayed on open. A torn final entry (crash mid-write) is cut off.
 */
export class SingleNodeLog implements ReplicatedLog {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly listeners: ((index: number) => void)[] = [];

  private constructor(
    private readonly file: FileHandle,
    private position: number,
    private readonly state: MetadataState,
    /** Every command applied, in order: entry i is index i + 1. Metadata changes are rare. */
    private readonly history: AppliedEntry[],
  ) {}

  get appliedIndex(): number {
    return this.history.length;
  }

  entry(index: number): AppliedEntry | undefined {
    return this.history[index - 1];
  }

  onApplied(listener: (index: number) => void): void {
    this.listeners.push(listener);
  }

  static async open(dir: string, state: MetadataState): Promise<SingleNodeLog> {
    await mkdir(dir, { recursive: true });
    const file = await open(join(dir, "metadata.log"), "a+");
    const contents = await file.readFile();
    let position = 0;
    const history: AppliedEntry[] = [];
    while (position + ENTRY_HEADER <= contents.length) {
      const length = contents.readUInt32BE(position);
      const end = position + ENTRY_HEADER + length;
      if (end > contents.length) break;
      const body = contents.subarray(position + ENTRY_HEADER, end);
      if (crc32c(body) !== contents.readUInt32BE(position + 4)) break;
      const command = JSON.parse(body.toString("utf8")) as MetadataCommand;
      history.push({ command, result: state.apply(command) });
      position = end;
    }
    if (position < contents.length) {
      await file.truncate(position);
      await file.datasync();
    }
    return new SingleNodeLog(file, position, state, history);
  }

  propose(command: MetadataCommand): Promise<ApplyResult> {
    const result = this.queue.then(() => this.appendAndApply(command));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.file.close();
  }

  private async appendAndApply(command: MetadataCommand): Promise<ApplyResult> {
    if (this.closed) throw new Error("metadata log is closed");
    const body = Buffer.from(JSON.stringify(command), "utf8");
    const entry = Buffer.allocUnsafe(ENTRY_HEADER + body.length);
    entry.writeUInt32BE(body.length, 0);
    entry.writeUInt32BE(crc32c(body), 4);
    body.copy(entry, ENTRY_HEADER);
    await this.file.write(entry, 0, entry.length, this.position);
    await this.file.datasync();
    this.position += entry.length;
    const result = this.state.apply(command);
    this.history.push({ command, result });
    for (const listener of this.listeners) listener(this.history.length);
    return result;
  }
}
