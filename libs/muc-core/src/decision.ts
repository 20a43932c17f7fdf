// Small constructors that keep rule code close to the XEP's prose.
import type { Element } from "@fedmuc/xmpp";
import type { Decision, Effect, Mutation } from "./types.js";

export const NOTHING: Decision = { mutations: [], effects: [] };

export function send(stanza: Element): Effect {
  return { kind: "send", stanza };
}

export function decision(mutations: readonly Mutation[], effects: readonly Effect[]): Decision {
  return { mutations, effects };
}
