import { join } from "node:path";
import type { LogFileSystem } from "./file-system.js";

const LOG_FILE = /^(\d{20})\.log$/;

/** Suffix of segment files written by compaction before they replace the originals. */
export const COMPACTED_SUFFIX = ".compacted";

/** `<20-digit base offset>.log` */
export function logFilePath(dir: string, baseOffset: number): string {
  return join(dir, `${padBase(baseOffset)}.log`);
}

/** `<20-digit base offset>.index` */
export function indexFilePath(dir: string, baseOffset: number): string {
  return join(dir, `${padBase(baseOffset)}.index`);
}

/** How far the active segment is known to be on disk: recovery scans only past it. */
export function recoveryPointPath(dir: string): string {
  return join(dir, "recovery-point.checkpoint");
}

export function highWatermarkPath(dir: string): string {
  return join(dir, "high-watermark.checkpoint");
}

/** The sealed segments the log knows it holds: a listed one that is gone was lost. */
export function segmentListPath(dir: string): string {
  return join(dir, "segments.checkpoint");
}

/** Beside the partition directory: `<stream dir>/<partition>.log-extent.checkpoint`. */
export function logExtentPath(dir: string): string {
  return `${dir.replace(/\/+$/, "")}.log-extent.checkpoint`;
}

export function leaderEpochsPath(dir: string): string {
  return join(dir, "leader-epochs.checkpoint");
}

/** Present while a compaction's new segments replace the old ones; open() completes the swap. */
export function compactionSwapPath(dir: string): string {
  return join(dir, "compaction-swap.checkpoint");
}

/** Base offsets of the segments in `dir`, ascending. Files of other names are left alone. */
export async function listSegmentBases(fs: LogFileSystem, dir: string): Promise<number[]> {
  const bases: number[] = [];
  for (const name of await fs.readdir(dir)) {
    const match = LOG_FILE.exec(name);
    if (!match) continue;
    bases.push(parseBase(dir, name, match[1]!));
  }
  return bases.sort((a, b) => a - b);
}

function parseBase(dir: string, name: string, digits: string): number {
  const base = Number(digits);
  if (!Number.isSafeInteger(base)) {
    throw new Error(
      `segment file ${join(dir, name)}: base offset ${digits} is beyond the largest supported offset ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return base;
}

function padBase(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0");
}
