import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";
import { findNatsServerBinary } from "../src/server/nats/launcher.js";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  natsServer: string;
  natsJs: string;
  grpcJs: string;
}

/** What the numbers were measured on. */
export async function describeMachine(): Promise<MachineInfo> {
  return {
    cpus: os.availableParallelism(),
    cpuModel: await cpuModel(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer: await natsServerVersion(),
    natsJs: await packageVersion("nats"),
    grpcJs: await packageVersion("@grpc/grpc-js"),
  };
}

async function cpuModel(): Promise<string> {
  try {
    const cpuinfo = await readFile("/proc/cpuinfo", "utf8");
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
    if (model) return model;
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? "unknown";
}

async function natsServerVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(await findNatsServerBinary(), ["--version"]);
    return stdout.trim();
  } catch (err) {
    return `unknown (${(err as Error).message})`;
  }
}

async function packageVersion(name: string): Promise<string> {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  try {
    return (JSON.parse(await readFile(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}
