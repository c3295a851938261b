/** A configuration problem the user must fix; the message is a single user-facing line. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "ConfigError";
  }
}

/** Renders a raw configuration value the way the user wrote it, for error messages. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "(no value)";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
