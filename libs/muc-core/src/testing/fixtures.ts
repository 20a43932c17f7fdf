// Helpers for the rules' unit tests: a deterministic context and a stepper that applies decisions.
import { parse, type Element } from "@fedmuc/xmpp";
import { decide } from "../decide.js";
import { DEFAULT_CONFIG, NO_FEDERATION, applyMutations, emptyRoom } from "../room.js";
import type { Context, Decision, Room } from "../types.js";

export const ROOM = "coven@chat.shakespeare.lit";
/** The actors of XEP-0045's examples: the room's owner and two guests. */
export const OWNER = "crone@shakespeare.lit/desktop";
export const GUEST = "wiccarocks@shakespeare.lit/laptop";
export const OTHER = "hag66@shakespeare.lit/pda";

export function context(now = new Date("2026-01-01T12:00:00Z")): Context {
  let n = 0;
  return {
    now,
    newId: () => `id-${++n}`,
    defaults: DEFAULT_CONFIG,
    maxBodyChars: 1000,
    federation: NO_FEDERATION,
  };
}

/** A room driven through decisions, as the store would commit them. */
export class Stepper {
  room: Room = emptyRoom(ROOM);
  constructor(readonly ctx: Context = context()) {}

  step(stanza: string | Element): Decision {
    const el = typeof stanza === "string" ? parse(stanza) : stanza;
    const d = decide(this.room, el, this.ctx);
    this.room = applyMutations(this.room, d.mutations, this.room.version + 1);
    return d;
  }

  /** Creates the room as an instant room (10.1.2), owned by `jid`. */
  create(jid: string, nick: string, fields = ""): Decision {
    const joined = this.join(jid, nick);
    this.configure(jid, fields);
    return joined;
  }

  /** An owner's submission of the configuration form (10.2). */
  configure(jid: string, fields: string): Decision {
    return this.step(
      `<iq from="${jid}" to="${ROOM}" type="set" id="cfg"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit">${fields}</x></query></iq>`,
    );
  }

  join(jid: string, nick: string, extra = ""): Decision {
    return this.step(
      `<presence from="${jid}" to="${ROOM}/${nick}"><x xmlns="http://jabber.org/protocol/muc"/>${extra}</presence>`,
    );
  }
}

/** An instant room (or one configured with the form fields `config`) owned by OWNER ("firstwitch"). */
export function oneWitch(config = ""): Stepper {
  const s = new Stepper();
  s.create(OWNER, "firstwitch", config);
  return s;
}

/** The same with GUEST ("secondwitch") in it. */
export function twoWitches(config = ""): Stepper {
  const s = oneWitch(config);
  s.join(GUEST, "secondwitch");
  return s;
}

/** The same with OTHER ("thirdwitch") in it too. */
export function threeWitches(config = ""): Stepper {
  const s = twoWitches(config);
  s.join(OTHER, "thirdwitch");
  return s;
}

/** The stanzas a decision sends, in order. */
export function sent(d: Decision): Element[] {
  return d.effects.flatMap((e) => (e.kind === "send" ? [e.stanza] : []));
}

export function statusCodes(presence: Element): number[] {
  const x = presence.getChild("x", "http://jabber.org/protocol/muc#user");
  return (x?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));
}

/** The defined condition of an error stanza. */
export function conditionOf(el: Element | undefined): string | undefined {
  const error = el?.getChild("error");
  return error
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas")?.name;
}

/** A boolean or text field of the muc#roomconfig form. */
export function field(name: string, value: string): string {
  return `<field var="muc#roomconfig_${name}"><value>${value}</value></field>`;
}

/** The configuration of a password-protected room (7.2.6) whose password is "cauldronburn". */
export const PASSWORD_ROOM =
  field("passwordprotectedroom", "1") + field("roomsecret", "cauldronburn");

/** A muc#admin set query with the given items. */
export function adminSet(from: string, items: string): string {
  return `<iq from="${from}" to="${ROOM}" type="set" id="adm"><query xmlns="http://jabber.org/protocol/muc#admin">${items}</query></iq>`;
}
