// Prosody configuration, after the testbed's prosody-component.cfg.lua (checked on Debian 12,
// Prosody 0.12.3, as root).
import { quote, type ComponentSpec } from "./xmpp-server.js";

/** S2S port of a site: peers find it by the domain's address alone (no SRV record). */
export const S2S_PORT = 5269;

export interface ProsodyConfigVars {
  dir: string;
  logFile: string;
  c2sPort: number;
  componentPort: number;
  domain: string;
  components: ComponentSpec[];
  mucComponent?: string;
  anonymousHost?: boolean;
  /** One site of a federated pair: S2S over dialback, without TLS, on this address. */
  site?: { s2sAddress: string };
}

export function prosodyConfig(v: ProsodyConfigVars): string {
  const lines = [
    `pidfile = ${quote(`${v.dir}/prosody.pid`)}`,
    `data_path = ${quote(`${v.dir}/data`)}`,
    // As root, Prosody refuses to run (and hangs half-started) without this.
    `run_as_root = true`,
    `log = { info = ${quote(v.logFile)} }`,
    `interfaces = { "127.0.0.1" }`,
    `c2s_ports = { ${v.c2sPort} }`,
    ...s2s(v.site),
    `component_ports = { ${v.componentPort} }`,
    `component_interface = "127.0.0.1"`,
    `http_ports = { }`,
    `https_ports = { }`,
    `c2s_require_encryption = false`,
    `allow_unencrypted_plain_auth = true`,
    `authentication = "internal_plain"`,
    // The default c2s rate limit throttles load tests.
    `limits = { c2s = { rate = "10mb/s"; burst = "10s" } }`,
    ``,
    `VirtualHost ${quote(v.domain)}`,
  ];
  if (v.anonymousHost) {
    lines.push(`VirtualHost ${quote(`anon.${v.domain}`)}`, `  authentication = "anonymous"`);
    // On a site, its anonymous users may reach the other site (Prosody blocks that by default).
    if (v.site) lines.push(`  allow_anonymous_s2s = true`);
  }
  for (const c of v.components) {
    // One connection per component name (component_conflict_resolve, default kick_new).
    lines.push(`Component ${quote(c.domain)}`, `  component_secret = ${quote(c.secret)}`);
  }
  if (v.mucComponent) {
    // Prosody's own MUC, for comparison: a component, never in modules_enabled.
    lines.push(`Component ${quote(v.mucComponent)} "muc"`, `  restrict_room_creation = false`);
  }
  return `${lines.join("\n")}\n`;
}

// S2S only on a site of a federated pair: dialback, without TLS, on the site's own address.
function s2s(site: ProsodyConfigVars["site"]): string[] {
  const modules = ["roster", "saslauth", "disco", "ping", "posix", ...(site ? ["dialback"] : [])];
  const enabled = `modules_enabled = { ${modules.map(quote).join(", ")} }`;
  if (!site) return [`s2s_ports = { }`, enabled, `modules_disabled = { "s2s" }`];
  return [
    `s2s_ports = { ${S2S_PORT} }`,
    `s2s_interfaces = { ${quote(site.s2sAddress)} }`,
    enabled,
    `s2s_require_encryption = false`,
    `s2s_secure_auth = false`,
  ];
}
