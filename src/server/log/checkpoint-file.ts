/**
 * Small checkpoint files (recovery point, high watermark, leader epochs, compaction swap):
 * text, written with `writeFileAtomic`, and carrying a CRC so a damaged one is detected and
 * ignored rather than trusted.
 *
 *   lb-checkpoint <kind> 1
 *   <one line per entry: integers separated by single spaces>
 *   crc32c <8 hex digits: CRC-32C of everything above this line>
 */
import { crc32c } from "@node-rs/crc32";
import { readWholeFile, writeFileAtomic } from "./file-io.js";
import type { LogFileSystem } from "./file-system.js";

const VERSION = 1;

export type CheckpointRows = number[][];

export function encodeCheckpoint(kind: string, rows: CheckpointRows): Buffer {
  const body = `lb-checkpoint ${kind} ${VERSION}\n${rows.map((row) => `${row.join(" ")}\n`).join("")}`;
  const crc = crc32c(Buffer.from(body)).toString(16).padStart(8, "0");
  return Buffer.from(`${body}crc32c ${crc}\n`);
}

/** The rows of a checkpoint of `kind`, or a reason why the bytes are not one. */
export function decodeCheckpoint(
  kind: string,
  bytes: Buffer,
): { rows: CheckpointRows } | { problem: string } {
  const text = bytes.toString("latin1");
  const crcAt = text.lastIndexOf("crc32c ");
  if (crcAt < 0 || !/^crc32c [0-9a-f]{8}\n$/.test(text.slice(crcAt))) {
    return { problem: "the crc32c line is missing or malformed" };
  }
  const body = text.slice(0, crcAt);
  const crc = crc32c(Buffer.from(body, "latin1")).toString(16).padStart(8, "0");
  if (crc !== text.slice(crcAt + 7, crcAt + 15)) return { problem: "CRC-32C mismatch" };
  const lines = body.split("\n").slice(0, -1);
  if (lines[0] !== `lb-checkpoint ${kind} ${VERSION}`) {
    return {
      problem: `header is ${JSON.stringify(lines[0])}, expected "lb-checkpoint ${kind} ${VERSION}"`,
    };
  }
  const rows: CheckpointRows = [];
  for (const line of lines.slice(1)) {
    const row = line.split(" ").map(Number);
    if (!row.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      return { problem: `line ${JSON.stringify(line)} is not non-negative integers` };
    }
    rows.push(row);
  }
  return { rows };
}

export function writeCheckpoint(
  fs: LogFileSystem,
  path: string,
  kind: string,
  rows: CheckpointRows,
): Promise<void> {
  return writeFileAtomic(fs, path, encodeCheckpoint(kind, rows));
}

/** The rows of the checkpoint at `path`: undefined if absent, a problem if unreadable. */
export async function readCheckpoint(
  fs: LogFileSystem,
  path: string,
  kind: string,
): Promise<{ rows: CheckpointRows } | { problem: string } | undefined> {
  const bytes = await readWholeFile(fs, path);
  return bytes && decodeCheckpoint(kind, bytes);
}
