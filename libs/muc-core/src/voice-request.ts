// XEP-0045 section 7.13 (requesting voice) and 8.6 (approving voice requests).
import {
  NS_DATA,
  StanzaError,
  clone,
  formElement,
  formValues,
  parseBoolean,
  xml,
  type Element,
} from "@fedmuc/xmpp";
import { decision, send } from "./decision.js";
import { changeRole } from "./role.js";
import { inSteps } from "./steps.js";
import { occupantList } from "./room.js";
import type { Decision, Occupant, Room } from "./types.js";

export const REQUEST_FORM = "http://jabber.org/protocol/muc#request";

/** Whether a message carries a muc#request form. */
export function requestForm(message: Element): Element | undefined {
  const form = message.getChild("x", NS_DATA);
  return form && formValues(form).get("FORM_TYPE")?.[0] === REQUEST_FORM ? form : undefined;
}

export function voiceRequest(room: Room, sender: Occupant | undefined, form: Element): Decision {
  if (!sender) throw new StanzaError("not-acceptable", "You are not in the room");
  const values = formValues(form);
  if (form.attrs.type === "submit" && values.has("muc#request_allow")) {
    return approve(room, sender, values);
  }
  if (sender.role !== "visitor") return decision([], []); // already has voice
  // 8.6: each moderator gets a form to approve the request.
  const approval = formElement(
    "form",
    REQUEST_FORM,
    [
      { var: "muc#role", type: "list-single", label: "Requested role", values: ["participant"] },
      { var: "muc#jid", type: "jid-single", label: "User ID", values: [sender.jid] },
      { var: "muc#roomnick", type: "text-single", label: "Room Nickname", values: [sender.nick] },
      { var: "muc#request_allow", type: "boolean", label: "Grant voice?", values: ["false"] },
    ],
    "Voice request",
  );
  const moderators = occupantList(room).filter((o) => o.role === "moderator");
  return decision(
    [],
    moderators.map((m) => send(xml("message", { from: room.jid, to: m.jid }, clone(approval)))),
  );
}

function approve(room: Room, moderator: Occupant, values: ReadonlyMap<string, readonly string[]>) {
  const allow = parseBoolean("muc#request_allow", values.get("muc#request_allow")?.[0] ?? "");
  const nick = values.get("muc#roomnick")?.[0];
  if (!allow) return decision([], []);
  if (!nick) throw new StanzaError("bad-request", "The approval names no nickname");
  return inSteps(room, [(r) => changeRole(r, moderator, { nick, role: "participant" })]);
}
