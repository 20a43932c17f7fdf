// XEP-0050 ad-hoc commands, the protocol as pure functions: reading a request (4.4), the
// responses of a command of one stage (its form, then the outcome of the submitted form: 3.4,
// 3.5), cancelling (3.6), and the errors of section 4.6.
import { NS, NS_DATA, StanzaError, xml, type Condition, type Element } from "@fedmuc/xmpp";

export const ACTIONS = ["execute", "complete", "next", "prev", "cancel"] as const;
export type Action = (typeof ACTIONS)[number];

export interface CommandRequest {
  readonly node: string;
  readonly action: Action;
  readonly sessionid?: string;
  /** The data form sent with the request (XEP-0004), if any. */
  readonly form?: Element;
}

/** 4.6: the specific conditions, each with the general condition it goes with. */
const SPECIFIC = {
  "malformed-action": "bad-request",
  "bad-action": "bad-request",
  "bad-locale": "bad-request",
  "bad-payload": "bad-request",
  "bad-sessionid": "bad-request",
  "session-expired": "not-allowed",
} as const satisfies Record<string, Condition>;

/** A command error: the general condition with the commands namespace's specific one. */
export function commandError(specific: keyof typeof SPECIFIC, text: string): StanzaError {
  return new StanzaError(SPECIFIC[specific], text, undefined, {
    name: specific,
    xmlns: NS.commands,
  });
}

/** The command an iq carries, or undefined if it carries none. */
export function readCommand(iq: Element): CommandRequest | undefined {
  const command = iq.getChild("command", NS.commands);
  if (!command) return undefined;
  const { node, sessionid } = command.attrs;
  const action = command.attrs.action ?? "execute"; // 4.4: execute when absent
  if (!node) throw commandError("bad-payload", "The command names no node");
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw commandError("malformed-action", `Unknown action ${action} (${ACTIONS.join(", ")})`);
  }
  const form = command.getChild("x", NS_DATA);
  return {
    node,
    action: action as Action,
    ...(sessionid ? { sessionid } : {}),
    ...(form ? { form } : {}),
  };
}

/** What a request asks of a command of one stage: its form, the outcome of the submitted form,
 * or to stop. */
export type Step =
  | { readonly kind: "start" }
  | { readonly kind: "submit"; readonly sessionid: string; readonly form: Element }
  | { readonly kind: "cancel"; readonly sessionid: string };

export function stepOf(request: CommandRequest): Step {
  const { action, sessionid, form } = request;
  if (!sessionid) {
    if (action !== "execute") throw commandError("bad-sessionid", `No session to ${action}`);
    return { kind: "start" };
  }
  if (action === "cancel") return { kind: "cancel", sessionid };
  // One stage: nothing before it, nothing after it; execute within it means its default,
  // complete (4.3).
  if (action === "next" || action === "prev") {
    throw commandError("bad-action", `The command has one stage: ${action} does not apply`);
  }
  if (!form) throw commandError("bad-payload", "The submitted form is missing");
  if (form.attrs.type !== "submit") {
    throw commandError("bad-payload", `The form must be of type submit, not ${form.attrs.type}`);
  }
  return { kind: "submit", sessionid, form };
}

type Status = "executing" | "completed" | "canceled";

function response(
  iq: Element,
  node: string,
  sessionid: string,
  status: Status,
  ...payload: Element[]
) {
  const { id, from, to } = iq.attrs;
  return xml(
    "iq",
    { type: "result", id, from: to, to: from },
    xml("command", { xmlns: NS.commands, node, sessionid, status }, ...payload),
  );
}

/** 3.4: the command's one stage, its form, which `complete` submits. */
export function formStage(iq: Element, node: string, sessionid: string, form: Element): Element {
  const actions = xml("actions", { execute: "complete" }, xml("complete"));
  return response(iq, node, sessionid, "executing", actions, form);
}

export interface Note {
  readonly type: "info" | "warn" | "error";
  readonly text: string;
}

/** 3.5: the command is done; what it did, and a result form if it has one. */
export function completed(
  iq: Element,
  node: string,
  sessionid: string,
  note: Note,
  result?: Element,
): Element {
  const noted = xml("note", { type: note.type }, note.text);
  return response(iq, node, sessionid, "completed", noted, ...(result ? [result] : []));
}

/** 3.6: the requester cancelled the command. */
export function canceled(iq: Element, node: string, sessionid: string): Element {
  return response(iq, node, sessionid, "canceled");
}
