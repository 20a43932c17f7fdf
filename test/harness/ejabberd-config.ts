// ejabberd configuration, after the testbed's ejabberd.yml (checked on Debian 12, ejabberd 23.01).
import { quote, type ComponentSpec } from "./xmpp-server.js";

export interface DomainBalancing {
  domain: string;
  /** Required by ejabberd; stanzas hashed to a slot with no live connection are dropped. */
  componentNumber: number;
}

export interface EjabberdConfigVars {
  c2sPort: number;
  componentPort: number;
  domain: string;
  components: ComponentSpec[];
  domainBalancing?: DomainBalancing;
  mucComponent?: string;
  anonymousHost?: boolean;
}

export function ejabberdConfig(v: EjabberdConfigVars): string {
  const anon = `anon.${v.domain}`;
  const lines = [
    "hosts:",
    `  - ${quote(v.domain)}`,
    ...(v.anonymousHost ? [`  - ${quote(anon)}`] : []),
    "loglevel: warning",
    "listen:",
    "  -",
    `    port: ${v.c2sPort}`,
    `    ip: "127.0.0.1"`,
    "    module: ejabberd_c2s",
    "    starttls: false",
    // Pending connections (default 5): a burst of clients beyond it waits for SYN retries.
    "    backlog: 1024",
  ];
  if (v.components.length > 0) {
    lines.push(
      "  -",
      `    port: ${v.componentPort}`,
      `    ip: "127.0.0.1"`,
      "    module: ejabberd_service",
      "    global_routes: false",
      "    hosts:",
      // ejabberd accepts several connections of one component name.
      ...v.components.flatMap((c) => [
        `      ${quote(c.domain)}:`,
        `        password: ${quote(c.secret)}`,
      ]),
    );
  }
  if (v.domainBalancing) {
    // Room affinity: each bare destination sticks to one connection. Without this block,
    // ejabberd picks a live connection at random per stanza.
    lines.push(
      "domain_balancing:",
      `  ${quote(v.domainBalancing.domain)}:`,
      "    type: bare_destination",
      `    component_number: ${v.domainBalancing.componentNumber}`,
    );
  }
  lines.push("auth_method: internal");
  if (v.anonymousHost) {
    lines.push(
      "host_config:",
      `  ${quote(anon)}:`,
      "    auth_method: anonymous",
      "    anonymous_protocol: sasl_anon",
    );
  }
  lines.push(
    "acl:",
    "  local:",
    `    user_regexp: ""`,
    "access_rules:",
    "  c2s:",
    "    allow: all",
    "  muc_create:",
    "    allow: all",
    "modules:",
    "  mod_disco: {}",
    "  mod_ping: {}",
  );
  if (v.mucComponent) {
    // ejabberd's own MUC, for comparison.
    lines.push(
      "  mod_muc:",
      `    host: ${quote(v.mucComponent)}`,
      "    access_create: muc_create",
      "    max_users: 5000",
      "    max_users_presence: 5000",
      "    default_room_options:",
      "      max_users: 5000", // a room's own limit, 200 by default
    );
  }
  return `${lines.join("\n")}\n`;
}
