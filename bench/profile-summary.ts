/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`): the functions with the most self time,
 * and the share of time under each of our own source files.
 *
 *   node dist/bench/profile-summary.js FILE.cpuprofile [TOP]
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function, largest first. */
  functions: { name: string; where: string; selfMs: number; share: number }[];
  /** Self time by file, largest first. */
  files: { file: string; selfMs: number; share: number }[];
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
  }
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const file = shortUrl(frame.url);
    const name = frame.functionName || "(anonymous)";
    const where = file ? `${file}:${frame.lineNumber + 1}` : "";
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    files.set(file || name, (files.get(file || name) ?? 0) + us);
  }
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: share(f.us) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ file, selfMs: us / 1000, share: share(us) })),
  };
}

function shortUrl(url: string): string {
  const nodeModules = url.lastIndexOf("node_modules/");
  if (nodeModules >= 0) return url.slice(nodeModules + "node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return url.slice(dist + "/dist/".length);
  return url.replace(/^file:\/\//, "");
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1).padStart(5)} %`;
}

async function main(): Promise<void> {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP]\n");
    process.exitCode = 2;
    return;
  }
  const top = topArg === undefined ? 25 : Number(topArg);
  if (!Number.isInteger(top) || top < 1) {
    process.stderr.write(`TOP: got "${topArg}", expected a positive integer\n`);
    process.exitCode = 2;
    return;
  }
  const summary = summarizeProfile(JSON.parse(await readFile(file, "utf8")) as CpuProfile, top);
  const lines = [`${file}: ${summary.totalMs.toFixed(0)} ms sampled`, "", "self time by function:"];
  for (const f of summary.functions) {
    lines.push(`${percent(f.share)}  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
  }
  lines.push("", "self time by file:");
  for (const f of summary.files) {
    lines.push(`${percent(f.share)}  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.file}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await main();
}
