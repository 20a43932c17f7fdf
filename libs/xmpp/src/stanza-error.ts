// Stanza errors (RFC 6120 section 8.3): a typed error carries its defined condition.
import { xml as xml, type Element } from "./element.js";
import { NS } from "./ns.js";

export type ErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** Defined conditions (RFC 6120 section 8.3.3) with their usual error type. */
const DEFAULT_TYPE = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "wait",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
} as const satisfies Record<string, ErrorType>;

export type Condition = keyof typeof DEFAULT_TYPE;

/** An application-specific condition (RFC 6120 8.3.4) beside the defined one, e.g. XEP-0050's
 * <bad-sessionid xmlns='http://jabber.org/protocol/commands'/>. */
export interface AppCondition {
  readonly name: string;
  readonly xmlns: string;
}

export class StanzaError extends Error {
  readonly type: ErrorType;
  constructor(
    readonly condition: Condition,
    text?: string,
    type?: ErrorType,
    readonly app?: AppCondition,
  ) {
    super(text ?? condition);
    this.name = "StanzaError";
    this.type = type ?? DEFAULT_TYPE[condition];
  }

  /** The text given to the user, if any. */
  get text(): string | undefined {
    return this.message === this.condition ? undefined : this.message;
  }
}

/**
 * The error reply to `stanza` (RFC 6120 section 8.2): same name and id, addresses swapped,
 * type='error', and an <error/> child. The original payload is not echoed back.
 */
export function errorReply(stanza: Element, error: StanzaError): Element {
  const { from, to, id } = stanza.attrs;
  const condition = xml(error.condition, { xmlns: NS.stanzas });
  const text = error.text ? xml("text", { xmlns: NS.stanzas }, error.text) : undefined;
  const app = error.app ? xml(error.app.name, { xmlns: error.app.xmlns }) : undefined;
  return xml(
    stanza.name,
    { from: to, to: from, id, type: "error" },
    xml("error", { type: error.type }, condition, text, app),
  );
}

/** Reads the condition of an error stanza, if it has one. */
export function errorCondition(stanza: Element): string | undefined {
  const error = stanza.getChild("error");
  return error?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas)?.name;
}
