import { join } from "node:path";
import { readCheckpoint, writeCheckpoint } from "./checkpoint-file.js";
import type { LogFileSystem } from "./file-system.js";

/**
 * A range of offsets the log once held (or must have held) that it cannot serve: the records
 * there are damaged (`corrupt`) or their file is gone (`missing`). Reads reaching the range
 * throw `CorruptRecordError`; appends never reuse its offsets.
 */
export interface LogDamage {
  /** First unreadable offset. */
  readonly fromOffset: number;
  /** Last unreadable offset (inclusive). */
  readonly toOffset: number;
  readonly kind: "corrupt" | "missing";
  /** What was found, for people. */
  readonly reason: string;
  /** Path of the segment `.log` file that holds (or should hold) the range. */
  readonly segment: string;
  /** Byte position of the damage within the segment, when known. */
  readonly position?: number;
}

const DAMAGE = "damage";
const KIND_CODES = { corrupt: 0, missing: 1 } as const;

export function damagePath(dir: string): string {
  return join(dir, "damage.checkpoint");
}

/** Damage recorded by an earlier run; `segmentOf` names the file that holds each range. */
export async function loadDamage(
  fs: LogFileSystem,
  dir: string,
  segmentOf: (offset: number) => string,
): Promise<LogDamage[]> {
  const loaded = await readCheckpoint(fs, damagePath(dir), DAMAGE);
  if (!loaded || !("rows" in loaded)) return [];
  return loaded.rows
    .filter((row) => row.length === 3 && row[0]! <= row[1]!)
    .map(([fromOffset, toOffset, code]) => {
      const kind = code === KIND_CODES.missing ? "missing" : "corrupt";
      return {
        fromOffset: fromOffset!,
        toOffset: toOffset!,
        kind,
        reason: `recorded as ${kind} when the log was opened before`,
        segment: segmentOf(fromOffset!),
      };
    });
}

export function saveDamage(
  fs: LogFileSystem,
  dir: string,
  damage: readonly LogDamage[],
): Promise<void> {
  return writeCheckpoint(
    fs,
    damagePath(dir),
    DAMAGE,
    damage.map((d) => [d.fromOffset, d.toOffset, KIND_CODES[d.kind]]),
  );
}

/**
 * `ranges` with `added` merged in, sorted by offset and without overlaps: where ranges
 * overlap, the one already known keeps its description and grows to cover both.
 */
export function mergeDamage(
  ranges: readonly LogDamage[],
  added: readonly LogDamage[],
): LogDamage[] {
  const all = [...ranges, ...added]
    .filter((d) => d.toOffset >= d.fromOffset)
    .sort((a, b) => a.fromOffset - b.fromOffset);
  const merged: LogDamage[] = [];
  for (const d of all) {
    const last = merged.at(-1);
    const touches = last && d.fromOffset === last.toOffset + 1 && d.segment === last.segment;
    if (last && (d.fromOffset <= last.toOffset || touches)) {
      if (d.toOffset > last.toOffset) merged[merged.length - 1] = { ...last, toOffset: d.toOffset };
    } else {
      merged.push(d);
    }
  }
  return merged;
}

/** `ranges` cut to offsets in `[from, to]`; ranges wholly outside go. */
export function clipDamage(
  ranges: readonly LogDamage[],
  from: number,
  to = Number.MAX_SAFE_INTEGER,
): LogDamage[] {
  return ranges.flatMap((d) => {
    const fromOffset = Math.max(d.fromOffset, from);
    const toOffset = Math.min(d.toOffset, to);
    return fromOffset <= toOffset ? [{ ...d, fromOffset, toOffset }] : [];
  });
}

/** The first range that holds an offset in `[from, to]`. */
export function firstDamageIn(
  ranges: readonly LogDamage[],
  from: number,
  to: number,
): LogDamage | undefined {
  return ranges.find((d) => d.toOffset >= from && d.fromOffset <= to);
}

export function describeDamage(d: LogDamage): string {
  const offsets =
    d.fromOffset === d.toOffset
      ? `offset ${d.fromOffset}`
      : `offsets ${d.fromOffset}-${d.toOffset}`;
  return `${offsets} ${d.kind} in ${d.segment}${d.position === undefined ? "" : ` at position ${d.position}`}: ${d.reason}`;
}
