// Small constructors that keep rule code close to the XEP's prose.
import { xml, type Element } from "@fedmuc/xmpp";
import type { Decision, Effect, Mutation } from "./types.js";

export const NOTHING: Decision = { mutations: [], effects: [] };

export function send(stanza: Element): Effect {
  return { kind: "send", stanza };
}

export function decision(mutations: readonly Mutation[], effects: readonly Effect[]): Decision {
  return { mutations, effects };
}

/** The result of an iq (RFC 6120 section 8.2.3), from the address it was sent to. */
export function iqResult(iq: Element, payload?: Element): Effect {
  return send(
    xml("iq", { type: "result", id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, payload),
  );
}
