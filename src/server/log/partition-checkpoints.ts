import { readCheckpoint, writeCheckpoint } from "./checkpoint-file.js";
import type { LogFileSystem } from "./file-system.js";
import { type EpochEntry, LeaderEpochCache } from "./leader-epoch-cache.js";
import { scanRecords } from "./record-scanner.js";
import type { RecoveryPoint, Segment } from "./segment.js";
import {
  highWatermarkPath,
  leaderEpochsPath,
  logExtentPath,
  recoveryPointPath,
  segmentListPath,
} from "./segment-files.js";
import type { RecoveryReport } from "./types.js";

const RECOVERY_POINT = "recovery-point";
const HIGH_WATERMARK = "high-watermark";
const LEADER_EPOCHS = "leader-epochs";
const SEGMENTS = "segments";
const LOG_EXTENT = "log-extent";

/** The checkpointed recovery point; undefined (and the reason in `report`) if unusable. */
export async function loadRecoveryPoint(
  fs: LogFileSystem,
  dir: string,
  report: RecoveryReport,
): Promise<RecoveryPoint | undefined> {
  const path = recoveryPointPath(dir);
  const loaded = await readCheckpoint(fs, path, RECOVERY_POINT);
  if (!loaded) {
    report.recoveryPointIgnored = `${path} is missing`;
    return undefined;
  }
  const row = "rows" in loaded && loaded.rows.length === 1 ? loaded.rows[0]! : undefined;
  if (row?.length !== 3) {
    report.recoveryPointIgnored = `${path}: ${"problem" in loaded ? loaded.problem : "expected one row of 3 integers"}`;
    return undefined;
  }
  return { baseOffset: row[0]!, position: row[1]!, entries: row[2]! };
}

export function saveRecoveryPoint(
  fs: LogFileSystem,
  dir: string,
  point: RecoveryPoint,
): Promise<void> {
  return writeCheckpoint(fs, recoveryPointPath(dir), RECOVERY_POINT, [
    [point.baseOffset, point.position, point.entries],
  ]);
}

/**
 * The leader epochs checkpoint. When it is missing or unreadable the epochs are rebuilt by
 * scanning every segment's records (`rebuilt`: the caller should save them again).
 */
export async function loadLeaderEpochs(
  fs: LogFileSystem,
  dir: string,
  segments: readonly Segment[],
): Promise<{ cache: LeaderEpochCache; rebuilt: boolean }> {
  const loaded = await readCheckpoint(fs, leaderEpochsPath(dir), LEADER_EPOCHS);
  if (loaded && "rows" in loaded && loaded.rows.every((row) => row.length === 2)) {
    const entries = loaded.rows.map(([epoch, startOffset]) => ({
      epoch: epoch!,
      startOffset: startOffset!,
    }));
    return { cache: new LeaderEpochCache(entries), rebuilt: false };
  }
  const cache = new LeaderEpochCache();
  if (segments.every((s) => s.entries === 0)) return { cache, rebuilt: loaded !== undefined };
  for (const segment of segments) {
    const scan = await scanRecords(segment.log, {
      baseOffset: segment.baseOffset,
      from: 0,
      end: segment.size,
      minOffset: segment.baseOffset,
      verifyCrc: false,
    });
    for (const start of scan.epochStarts) cache.assign(start.epoch, start.startOffset);
  }
  return { cache, rebuilt: true };
}

export function saveLeaderEpochs(
  fs: LogFileSystem,
  dir: string,
  entries: readonly EpochEntry[],
): Promise<void> {
  return writeCheckpoint(
    fs,
    leaderEpochsPath(dir),
    LEADER_EPOCHS,
    entries.map((e) => [e.epoch, e.startOffset]),
  );
}

/** The checkpointed high watermark (-1: nothing committed), or undefined if none is usable. */
export async function loadHighWatermark(
  fs: LogFileSystem,
  dir: string,
): Promise<number | undefined> {
  const loaded = await readCheckpoint(fs, highWatermarkPath(dir), HIGH_WATERMARK);
  const row = loaded && "rows" in loaded ? loaded.rows[0] : undefined;
  // Stored plus one, since checkpoint rows hold non-negative integers and -1 is valid.
  return row?.length === 1 ? row[0]! - 1 : undefined;
}

export function saveHighWatermark(
  fs: LogFileSystem,
  dir: string,
  highWatermark: number,
): Promise<void> {
  return writeCheckpoint(fs, highWatermarkPath(dir), HIGH_WATERMARK, [[highWatermark + 1]]);
}

/** Removes temporary files a crash left behind mid atomic write. */
export async function removeTemporaryFiles(fs: LogFileSystem, dir: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith(".tmp"));
  for (const name of names) await fs.unlink(`${dir}/${name}`);
}

/** A sealed segment as the segment list checkpoint remembers it. */
export interface ListedSegment {
  baseOffset: number;
  nextOffset: number;
}

/**
 * The sealed segments the log held when it last changed its segment list (written before
 * retention or truncation deletes any, after a roll or a compaction adds some): a listed one
 * whose file is gone was lost, not deleted by the log. Undefined when there is no usable one.
 */
export async function loadSegmentList(
  fs: LogFileSystem,
  dir: string,
): Promise<ListedSegment[] | undefined> {
  const loaded = await readCheckpoint(fs, segmentListPath(dir), SEGMENTS);
  if (!loaded || !("rows" in loaded) || !loaded.rows.every((row) => row.length === 2)) return;
  return loaded.rows.map(([baseOffset, nextOffset]) => ({
    baseOffset: baseOffset!,
    nextOffset: nextOffset!,
  }));
}

export function saveSegmentList(
  fs: LogFileSystem,
  dir: string,
  segments: readonly ListedSegment[],
): Promise<void> {
  return writeCheckpoint(
    fs,
    segmentListPath(dir),
    SEGMENTS,
    segments.map((s) => [s.baseOffset, s.nextOffset]),
  );
}

/**
 * The offsets the log in `dir` holds, kept beside its directory (in the stream directory), so
 * that a partition directory lost as a whole is told from a new one.
 */
export async function loadLogExtent(
  fs: LogFileSystem,
  dir: string,
): Promise<{ oldestOffset: number; nextOffset: number } | undefined> {
  const loaded = await readCheckpoint(fs, logExtentPath(dir), LOG_EXTENT).catch(() => undefined);
  const row = loaded && "rows" in loaded ? loaded.rows[0] : undefined;
  return row?.length === 2 ? { oldestOffset: row[0]!, nextOffset: row[1]! } : undefined;
}

export function saveLogExtent(
  fs: LogFileSystem,
  dir: string,
  oldestOffset: number,
  nextOffset: number,
): Promise<void> {
  return writeCheckpoint(fs, logExtentPath(dir), LOG_EXTENT, [[oldestOffset, nextOffset]]);
}
