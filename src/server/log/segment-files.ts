import { readdir } from "node:fs/promises";
import { join } from "node:path";

const LOG_FILE = /^(\d{20})\.log$/;

/** `<20-digit base offset>.log` */
export function logFilePath(dir: string, baseOffset: number): string {
  return join(dir, `${padBase(baseOffset)}.log`);
}

/** `<20-digit base offset>.index` */
export function indexFilePath(dir: string, baseOffset: number): string {
  return join(dir, `${padBase(baseOffset)}.index`);
}

/** Base offsets of the segments in `dir`, ascending. Files of other names are left alone. */
export async function listSegmentBases(dir: string): Promise<number[]> {
  const bases: number[] = [];
  for (const name of await readdir(dir)) {
    const match = LOG_FILE.exec(name);
    if (!match) continue;
    const base = Number(match[1]);
    if (!Number.isSafeInteger(base)) {
      throw new Error(
        `segment file ${join(dir, name)}: base offset ${match[1]} is beyond the largest supported offset ${Number.MAX_SAFE_INTEGER}`,
      );
    }
    bases.push(base);
  }
  return bases.sort((a, b) => a - b);
}

function padBase(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0");
}
