/**
 * The benchmark drivers of clients other than the load generator itself: which of them can run
 * on this machine, and how to start each (see external-driver.ts for the protocol).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DriverCommand } from "./external-driver.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GO_BUILD = `${ROOT}bench/go/build.sh`;
const GO_BINARY = `${ROOT}bench/go/bin/lb-bench-go`;
const PYTHON = "/usr/bin/python3";
const PYTHON_DRIVER = `${ROOT}bench/drivers/lb_driver.py`;
/** bench/go/build.sh's exit status when Go is not installed. */
const NO_GO = 3;

export const GRPC_JS_DRIVER: DriverCommand = {
  name: "grpc-js driver",
  command: process.execPath,
  args: [fileURLToPath(new URL("./drivers/grpc-js-driver.js", import.meta.url))],
};

export const LB_CLIENT_DRIVER: DriverCommand = {
  name: "lb TS client driver",
  command: process.execPath,
  args: [fileURLToPath(new URL("./drivers/lb-client-driver.js", import.meta.url))],
};

export interface ExternalClients {
  /** bench/go/bin/lb-bench-go (grpc-go and nats.go), when it could be built. */
  go?: DriverCommand;
  /** bench/drivers/lb_driver.py on /usr/bin/python3, when it has grpcio and grpc_tools. */
  python?: DriverCommand;
  /** One line per client left out, saying why. */
  skipped: string[];
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Builds the Go driver (bash bench/go/build.sh) when `go` is wanted; probes Python's grpcio. */
export async function prepareExternalClients(wanted: {
  go: boolean;
  python: boolean;
}): Promise<ExternalClients> {
  const clients: ExternalClients = { skipped: [] };
  if (wanted.go) {
    if (!existsSync(GO_BUILD)) {
      clients.skipped.push("skipped the grpc-go and nats.go rows: bench/go/build.sh is not there");
    } else {
      const build = await run("bash", [GO_BUILD]);
      const lastLine = build.output.split("\n").at(-1) ?? "";
      if (build.code === NO_GO) {
        clients.skipped.push(`skipped the grpc-go and nats.go rows: ${lastLine}`);
      } else if (build.code !== 0) {
        clients.skipped.push(
          `skipped the grpc-go and nats.go rows: bash bench/go/build.sh failed (exit ${build.code}): ${lastLine}`,
        );
      } else if (!existsSync(GO_BINARY)) {
        clients.skipped.push(
          "skipped the grpc-go and nats.go rows: bench/go/build.sh succeeded but bench/go/bin/lb-bench-go is not there",
        );
      } else {
        clients.go = { name: "Go driver (lb-bench-go)", command: GO_BINARY, args: [] };
      }
    }
  }
  if (wanted.python) {
    const probe = existsSync(PYTHON)
      ? await run(PYTHON, ["-c", "import grpc, grpc_tools"])
      : { code: 1, output: `${PYTHON} is not there` };
    if (probe.code === 0) {
      clients.python = { name: "Python grpcio driver", command: PYTHON, args: [PYTHON_DRIVER] };
    } else {
      clients.skipped.push(
        `skipped the Python grpcio rows: ${PYTHON} lacks grpc or grpc_tools (apt-get install python3-grpcio python3-grpc-tools)`,
      );
    }
  }
  return clients;
}
