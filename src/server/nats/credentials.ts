import { redactSecrets } from "../redact.js";

/** NATS credentials given in server URLs (`nats://user:pass@host`, `nats://token@host`). */
export interface UrlCredentials {
  /** The URLs without their credentials, as the NATS client takes them. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

/**
 * Takes the credentials out of NATS URLs, as the Go client (and so upstream) uses them: user and
 * password, or a lone user name as a token. The Node client ignores credentials in URLs, so they
 * are passed to it as options. One connection has one set of credentials: URLs that disagree
 * are an error.
 */
export function credentialsFromUrls(urls: readonly string[]): UrlCredentials {
  const servers: string[] = [];
  let found: { user: string; pass?: string } | undefined;
  let foundIn: string | undefined;
  for (const url of urls) {
    const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@]*)@(.*)$/i.exec(url);
    if (!match) {
      servers.push(url);
      continue;
    }
    const [, scheme = "", userinfo = "", rest = ""] = match;
    servers.push(`${scheme}${rest}`);
    const colon = userinfo.indexOf(":");
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const pass = colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
    if (found && (found.user !== user || found.pass !== pass)) {
      throw new Error(
        `NATS URLs ${redactUrl(foundIn ?? "")} and ${redactUrl(url)} carry different credentials: one connection uses one user`,
      );
    }
    found = { user, pass };
    foundIn = url;
  }
  if (!found) return { servers };
  return found.pass === undefined
    ? { servers, token: found.user }
    : { servers, user: found.user, pass: found.pass };
}

/** The URL (with or without its scheme) with its password, or token, replaced by `***`. */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@]*)@(.*)$/i.exec(url);
  if (!match) return redactSecrets(url);
  const [, scheme = "", userinfo = "", rest = ""] = match;
  const colon = userinfo.indexOf(":");
  return `${scheme}${colon < 0 ? "***" : `${userinfo.slice(0, colon)}:***`}@${rest}`;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
