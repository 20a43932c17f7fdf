// What the Prosody and ejabberd harnesses share: their options and the handle they return.

export interface ComponentSpec {
  /** The component's JID domain, e.g. "rooms.localhost". */
  domain: string;
  /** XEP-0114 shared secret. */
  secret: string;
}

export interface UserSpec {
  user: string;
  password: string;
}

export interface XmppServerHandle {
  /** Temporary directory with config, data and logs; removed by stop(). */
  readonly dir: string;
  readonly domain: string;
  readonly c2sPort: number;
  /** XEP-0114 listener shared by all components. */
  readonly componentPort: number;
  /** The server's own process id (Prosody's lua, ejabberd's beam). */
  readonly pid: number;
  /** Main log file, for diagnostics. */
  readonly logFile: string;
  /** Create an account on `host` (default: the user domain). */
  register(user: string, password: string, host?: string): Promise<void>;
  stop(): Promise<void>;
}

/** A string literal valid in Lua and in YAML (double-quoted), from a JSON string. */
export function quote(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError(`config value must be printable ASCII: ${JSON.stringify(value)}`);
  }
  return JSON.stringify(value);
}
