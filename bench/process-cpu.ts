import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const out = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim();
    const n = Number(out);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`getconf CLK_TCK printed "${out}"`);
    ticksPerSecond = n;
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system, all threads) process `pid` has used so far, in microseconds, from
 * /proc/<pid>/stat. Resolution is one clock tick (10 ms at the usual 100 Hz).
 */
export async function processCpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`/proc/${pid}/stat has no utime/stime: ${stat.slice(0, 200)}`);
  }
  return ((utime + stime) * 1e6) / clockTicks();
}
