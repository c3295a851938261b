import { LbError } from "./errors.js";

export const DEFAULT_ADDRESS = "127.0.0.1:9292";

export interface BrokerAddress {
  host: string;
  port: number;
}

const BRACKETED_IPV6 = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\]:(\d+)$/;
const HOST_AND_PORT = /^([^:\s[\]]+):(\d+)$/;

function invalid(field: string, value: string, why: string): LbError {
  return new LbError("invalid_argument", `${field} "${value}": ${why}`);
}

/** Parses one "host:port" (IPv6 hosts in brackets: "[::1]:9292"). */
export function parseAddress(text: string, field = "address"): BrokerAddress {
  const trimmed = text.trim();
  const match = BRACKETED_IPV6.exec(trimmed) ?? HOST_AND_PORT.exec(trimmed);
  if (!match) {
    throw invalid(field, text, "expected HOST:PORT, e.g. 127.0.0.1:9292 or [::1]:9292");
  }
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(field, text, "port must be between 1 and 65535");
  }
  return { host: match[1]!, port };
}

/** Parses "host:port[,host:port...]" into normalised "host:port" strings, without duplicates. */
export function parseAddressList(text: string, field = "address"): string[] {
  const parts = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) {
    throw invalid(field, text, "expected HOST:PORT[,HOST:PORT...]");
  }
  return [...new Set(parts.map((part) => formatAddress(parseAddress(part, field))))];
}

export function formatAddress({ host, port }: BrokerAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
