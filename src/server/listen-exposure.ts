import { isIPv4, isIPv6 } from "node:net";

/** True for an address only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  if (isIPv6(bare)) return bare === "::1" || /^::ffff:127\./.test(bare);
  return false;
}

/**
 * The warning for a broker that serves plaintext gRPC where other machines may reach it
 * (lb has no authentication without TLS), or undefined when there is nothing to warn about.
 */
export function plaintextExposureWarning(
  host: string,
  port: number,
  tls: boolean,
): string | undefined {
  if (tls || isLoopbackHost(host)) return undefined;
  const where =
    host === "0.0.0.0" || host === "::" ? `${host}:${port} (every interface)` : `${host}:${port}`;
  return `serving gRPC without TLS on ${where}: anyone who can reach it can create, read and delete streams; set --tls-cert and --tls-key, or --host 127.0.0.1 to serve this machine only`;
}
