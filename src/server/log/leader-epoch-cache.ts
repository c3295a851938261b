/** Where one leader epoch's records begin. */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * The leader epochs found in a log, each with the offset of its first record, in increasing
 * order of both. Records carrying an epoch lower than the latest one do not start an epoch.
 */
export class LeaderEpochCache {
  private list: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.list = [];
    for (const entry of entries) this.assign(entry.epoch, entry.startOffset);
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  get latest(): EpochEntry | undefined {
    return this.list.at(-1);
  }

  /** Notes that a record at `offset` carries `epoch`; true if that started a new epoch. */
  assign(epoch: number, offset: number): boolean {
    const latest = this.list.at(-1);
    if (latest && (epoch <= latest.epoch || offset < latest.startOffset)) return false;
    this.list = [...this.list, { epoch, startOffset: offset }];
    return true;
  }

  /** Forgets epochs starting at or after `offset` (the log was cut there); true if any. */
  truncateFrom(offset: number): boolean {
    const kept = this.list.filter((entry) => entry.startOffset < offset);
    const changed = kept.length !== this.list.length;
    this.list = kept;
    return changed;
  }

  /**
   * The largest epoch <= `epoch` and the offset where it ends: the start of the next epoch, or
   * `nextOffset` for the latest. Undefined when every known epoch is larger (or none is known).
   */
  endOffsetFor(
    epoch: number,
    nextOffset: number,
  ): { epoch: number; endOffset: number } | undefined {
    let found = -1;
    for (let i = 0; i < this.list.length && this.list[i]!.epoch <= epoch; i++) found = i;
    if (found < 0) return undefined;
    const next = this.list[found + 1];
    return { epoch: this.list[found]!.epoch, endOffset: next ? next.startOffset : nextOffset };
  }
}
