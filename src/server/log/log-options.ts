import { nodeFileSystem } from "./file-system.js";
import { MAX_U32, RECORD_HEADER_BYTES } from "./record-format.js";
import type { LogOptions } from "./types.js";

export const DEFAULT_SEGMENT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_RECOVERY_POINT_BYTES = 16 * 1024 * 1024;

export type ResolvedLogOptions = Required<Omit<LogOptions, "keyOf" | "notice">> &
  Pick<LogOptions, "keyOf" | "notice">;

/** Fills in defaults and rejects values the log cannot honour, naming the option. */
export function resolveLogOptions(options: LogOptions = {}): ResolvedLogOptions {
  const {
    segmentMaxBytes = DEFAULT_SEGMENT_MAX_BYTES,
    segmentMaxAgeMs = 0,
    sync = "none",
    recoveryPointBytes = DEFAULT_RECOVERY_POINT_BYTES,
    keyOf,
    fs = nodeFileSystem,
    notice,
    extentBesideDir = false,
  } = options;
  if (
    !Number.isInteger(segmentMaxBytes) ||
    segmentMaxBytes < RECORD_HEADER_BYTES ||
    segmentMaxBytes > MAX_U32
  ) {
    throw new RangeError(
      `segmentMaxBytes is ${String(segmentMaxBytes)}, expected an integer from ${RECORD_HEADER_BYTES} to ${MAX_U32}`,
    );
  }
  if (!Number.isSafeInteger(segmentMaxAgeMs) || segmentMaxAgeMs < 0) {
    throw new RangeError(
      `segmentMaxAgeMs is ${String(segmentMaxAgeMs)}, expected an integer >= 0 (0: no age limit)`,
    );
  }
  if (sync !== "always" && sync !== "none") {
    throw new RangeError(`sync is ${JSON.stringify(sync)}, expected "always" or "none"`);
  }
  if (!Number.isSafeInteger(recoveryPointBytes) || recoveryPointBytes < 1) {
    throw new RangeError(
      `recoveryPointBytes is ${String(recoveryPointBytes)}, expected an integer >= 1`,
    );
  }
  if (keyOf !== undefined && typeof keyOf !== "function") {
    throw new TypeError(`keyOf is ${typeof keyOf}, expected a function (body) => key | undefined`);
  }
  return {
    segmentMaxBytes,
    segmentMaxAgeMs,
    sync,
    recoveryPointBytes,
    keyOf,
    fs,
    notice,
    extentBesideDir: extentBesideDir === true,
  };
}
