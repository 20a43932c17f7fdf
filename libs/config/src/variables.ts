// The service's environment variables: one table, used both to parse and to print --help.
import { parseAllowList, parsePeerRates, parseStripRules } from "@fedmuc/fmuc-core";
import {
  parseUrl,
  parseDomain,
  parsePort,
  parseInt_,
  parseEnum,
  parseText,
  parseJidList,
  parseHostPorts,
  parseRedisUrl,
} from "./parsers.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** OTLP over HTTP only: the SDK in the image has no gRPC exporter. */
export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;

interface Variable<T> {
  readonly help: string;
  /** The default as the user would write it; absent means required. */
  readonly default?: string;
  readonly parse: (text: string) => T;
}

const variable = <T>(v: Variable<T>): Variable<T> => v;

export const VARIABLES = {
  XMPP_COMPONENT_URL: variable({
    help: "Where the XMPP server accepts components (XEP-0114), e.g. xmpp://127.0.0.1:5347",
    parse: (t) => parseUrl(t, ["xmpp:"]),
  }),
  XMPP_COMPONENT_DOMAIN: variable({
    help: "The service's domain, as configured on the XMPP server, e.g. rooms.example.org",
    parse: parseDomain,
  }),
  XMPP_COMPONENT_SECRET: variable({
    help: "The component secret shared with the XMPP server",
    parse: parseText,
  }),
  REDIS_URL: variable({
    help: "Redis holding all room state, e.g. redis://127.0.0.1:6379/0; with REDIS_CLUSTER_NODES or REDIS_SENTINELS only its user, password, database and rediss: (TLS) apply",
    default: "redis://127.0.0.1:6379",
    parse: parseRedisUrl,
  }),
  REDIS_PASSWORD: variable({
    help: "Redis password, in place of the one in REDIS_URL, so that it can come from a secret of its own (empty: REDIS_URL's, if any)",
    default: "",
    parse: (t) => t,
  }),
  REDIS_KEY_PREFIX: variable({
    help: "Prefix of every Redis key, so that several services can share one Redis",
    default: "fedmuc:",
    parse: parseText,
  }),
  REDIS_CLUSTER_NODES: variable({
    help: "Redis Cluster: some of its nodes as host:port, comma-separated; the client finds the others (empty: not a cluster)",
    default: "",
    parse: parseHostPorts,
  }),
  REDIS_SENTINELS: variable({
    help: "Redis Sentinel: the sentinels as host:port, comma-separated; they name the master REDIS_SENTINEL_NAME (empty: no sentinels)",
    default: "",
    parse: parseHostPorts,
  }),
  REDIS_SENTINEL_NAME: variable({
    help: "The master's name as the sentinels know it (sentinel monitor NAME ...); required with REDIS_SENTINELS",
    default: "",
    parse: (t) => {
      if (/\s/.test(t)) throw new Error(`must be one word (got "${t}")`);
      return t;
    },
  }),
  HTTP_PORT: variable({
    help: "Port of /healthz, /readyz and /metrics (0 picks a free port)",
    default: "8080",
    parse: parsePort,
  }),
  LOG_LEVEL: variable({
    help: `Log level: ${LOG_LEVELS.join(", ")}`,
    default: "info",
    parse: (t) => parseEnum(t, LOG_LEVELS),
  }),
  LOG_SLOW_STANZA_MS: variable({
    help: "A stanza whose handling takes longer than this is logged at warn with its trace id (0: none is)",
    default: "250",
    parse: (t) => parseInt_(t, 0, 600_000),
  }),
  MUC_HISTORY_MAX: variable({
    help: "Messages of history kept per room (XEP-0045 section 7.2.15)",
    default: "50",
    parse: (t) => parseInt_(t, 0, 100_000),
  }),
  MUC_MAX_BODY_CHARS: variable({
    help: "Longest message body accepted, in characters; longer ones get a policy-violation error",
    default: "65536",
    parse: (t) => parseInt_(t, 1, 10_000_000),
  }),
  INBOUND_MAX_IN_FLIGHT: variable({
    help: "Inbound stanzas handled at once; reading pauses beyond it",
    default: "256",
    parse: (t) => parseInt_(t, 1, 100_000),
  }),
  OUTBOUND_MAX_BYTES: variable({
    help: "Bytes of outbound stanzas buffered before senders wait for the socket",
    default: "1048576",
    parse: (t) => parseInt_(t, 1024, 1 << 30),
  }),
  SHUTDOWN_TIMEOUT_MS: variable({
    help: "How long SIGTERM may take to drain in-flight work before the process exits",
    default: "10000",
    parse: (t) => parseInt_(t, 0, 600_000),
  }),
  FMUC_UPSTREAM: variable({
    help: "A MUC service whose rooms the rooms here federate with (XEP-0289): each room joins the room of the same name there (empty: none)",
    default: "",
    parse: (t) => (t === "" ? "" : parseDomain(t)),
  }),
  FMUC_ALLOW: variable({
    help: "Rooms (room@service), services (service) or *.domain that may join rooms here as FMUC nodes, comma-separated (empty: none)",
    default: "",
    parse: (t) => parseAllowList(t),
  }),
  FMUC_MODE: variable({
    help: "Mode of this node's outbound federation links: primary-primary (each side chats on when the link is down) or primary-replica (this side delivers a message when the joined room echoes it, and refuses messages while the link is down)",
    default: "primary-primary",
    parse: (t) => parseEnum(t, ["primary-primary", "primary-replica"] as const),
  }),
  FMUC_STRIP: variable({
    help: "What federation links do not carry, to spend less bandwidth: links=item,item entries separated by ';', links as in FMUC_ALLOW or * for all, items among caps, avatar, status, idle (first matching entry applies; empty: nothing stripped)",
    default: "",
    parse: (t) => parseStripRules(t),
  }),
  FMUC_PEER_RATES: variable({
    help: "Bytes per second that the federation links to a peer service share over its one S2S path, as services=bytes entries separated by ',' (services as in FMUC_ALLOW, or * for all; first matching entry applies; at least 100); within it live messages go first, then presences, then what waited, fairly across rooms (empty: no rate)",
    default: "",
    parse: (t) => parsePeerRates(t),
  }),
  FMUC_JOIN_TIMEOUT_MS: variable({
    help: "How long a room waits for the room it joins to complete the join (its subject) before it tries again",
    default: "30000",
    parse: (t) => parseInt_(t, 100, 3_600_000),
  }),
  FMUC_RETRY_MAX_MS: variable({
    help: "Longest pause between two join attempts of a federation link (exponential backoff with full jitter from 1 s)",
    default: "60000",
    parse: (t) => parseInt_(t, 100, 86_400_000),
  }),
  FMUC_PING_INTERVAL_MS: variable({
    help: "How often the path to each peer service that rooms here joined is checked (one XEP-0199 ping per service, not per room); a check left unanswered until the next one marks all of that service's links down (while down, checks back off up to FMUC_RETRY_MAX_MS)",
    default: "60000",
    parse: (t) => parseInt_(t, 100, 86_400_000),
  }),
  FMUC_GRACE_MS: variable({
    help: "How long the occupants of a federation link that is down stay before they leave with a status saying so (they come back when it is joined again)",
    default: "300000",
    parse: (t) => parseInt_(t, 0, 604_800_000),
  }),
  FMUC_OUTBOX_MAX_BYTES: variable({
    help: "Most bytes of stanzas a federation link keeps waiting for a peer that is away; past it the oldest go, and the link's return starts afresh with the room's history and tells the users how many messages did not cross",
    default: "262144",
    parse: (t) => parseInt_(t, 1024, 1 << 30),
  }),
  FMUC_OUTBOX_MAX_AGE_MS: variable({
    help: "Longest a stanza waits for a federation link's peer that is away; older ones go, as past FMUC_OUTBOX_MAX_BYTES (and so do the unacknowledged copies a link session keeps for it)",
    default: "604800000",
    parse: (t) => parseInt_(t, 1000, 31_536_000_000),
  }),
  FMUC_LINK_LOCK_MS: variable({
    help: "How long a worker holds a federation link's job before another worker may take it over if the first stops renewing it (died, or lost Redis): the longest a dead worker's links wait",
    default: "30000",
    parse: (t) => parseInt_(t, 1000, 600_000),
  }),
  MUC_ADMINS: variable({
    help: "Service administrators (bare JIDs, comma-separated): owners of every room here, also of rooms that mirror an upstream room and so have no owner of their own",
    default: "",
    parse: parseJidList,
  }),
  OTEL_TRACES_EXPORTER: variable({
    help: "Trace exporter: none, console or otlp (otlp reads the standard OTEL_EXPORTER_OTLP_* variables)",
    default: "none",
    parse: (t) => parseEnum(t, ["none", "console", "otlp"] as const),
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: variable({
    help: `Encoding of the OTLP exports (OTEL_TRACES_EXPORTER=otlp): ${OTLP_PROTOCOLS.join(" or ")} (grpc is not supported)`,
    default: "http/protobuf",
    parse: (t) => {
      if (t.trim().toLowerCase() === "grpc") {
        throw new Error(
          `must be one of ${OTLP_PROTOCOLS.join(", ")} (got "${t}": OTLP over gRPC is not supported, only over HTTP)`,
        );
      }
      return parseEnum(t, OTLP_PROTOCOLS);
    },
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
export type Config = { [K in VariableName]: ReturnType<(typeof VARIABLES)[K]["parse"]> };
