// Parsers of variable values: each returns the value or throws an Error whose message says why.

export function parseText(text: string): string {
  if (text.trim() === "") throw new Error("must not be empty");
  return text;
}

export function parseUrl(text: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`is not a URL (got "${text}")`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new Error(
      `must start with ${protocols.map((p) => `${p}//`).join(" or ")} (got "${text}")`,
    );
  }
  if (url.hostname === "") throw new Error(`has no host (got "${text}")`);
  return text;
}

/** The database a redis:// URL selects (its path, e.g. /2), 0 when it names none. */
export function redisDatabase(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, "");
  if (!/^\d*$/.test(path))
    throw new Error(`has a path that is not a database number (got "${url}")`);
  return Number(path || "0");
}

export function parseRedisUrl(text: string): string {
  parseUrl(text, ["redis:", "rediss:"]);
  redisDatabase(text);
  return text;
}

const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function parseDomain(text: string): string {
  if (!DOMAIN.test(text)) throw new Error(`is not a domain name (got "${text}")`);
  return text.toLowerCase();
}

export function parseInt_(text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new Error(`must be a whole number (got "${text}")`);
  const n = Number(text);
  if (n < min || n > max) throw new Error(`must be between ${min} and ${max} (got ${n})`);
  return n;
}

export function parsePort(text: string): number {
  return parseInt_(text, 0, 65535);
}

export function parseEnum<T extends string>(text: string, values: readonly T[]): T {
  const value = text.toLowerCase() as T;
  if (!values.includes(value))
    throw new Error(`must be one of ${values.join(", ")} (got "${text}")`);
  return value;
}

/** Bare JIDs (local@domain), comma-separated; empty means none. Lower-cased, as compared. */
export function parseJidList(text: string): readonly string[] {
  const jids = text
    .split(",")
    .map((j) => j.trim())
    .filter((j) => j !== "");
  for (const jid of jids) {
    const at = jid.indexOf("@");
    if (at <= 0 || jid.includes("/") || !DOMAIN.test(jid.slice(at + 1))) {
      throw new Error(`must list bare JIDs like user@example.org (got "${jid}")`);
    }
  }
  return jids.map((j) => j.toLowerCase());
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `host:port` pairs separated by commas (an IPv6 host in brackets: `[::1]:6379`); "" is none. */
export function parseHostPorts(text: string): readonly HostPort[] {
  if (text.trim() === "") return [];
  return text.split(",").map((item) => {
    const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]]+):(\d+)$/i.exec(item.trim());
    if (!match) throw new Error(`must be host:port pairs separated by commas (got "${item}")`);
    const port = parseInt_(match[2]!, 1, 65535);
    return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
  });
}
