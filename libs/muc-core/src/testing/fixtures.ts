// Helpers for the rules' unit tests: a deterministic context and a stepper that applies decisions.
import { parse, type Element } from "@fedmuc/xmpp";
import { decide } from "../decide.js";
import { DEFAULT_CONFIG, applyMutations, emptyRoom } from "../room.js";
import type { Context, Decision, Room } from "../types.js";

export const ROOM = "coven@chat.shakespeare.lit";

export function context(now = new Date("2026-01-01T12:00:00Z")): Context {
  let n = 0;
  return { now, newId: () => `id-${++n}`, defaults: DEFAULT_CONFIG };
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

  join(jid: string, nick: string, extra = ""): Decision {
    return this.step(
      `<presence from="${jid}" to="${ROOM}/${nick}"><x xmlns="http://jabber.org/protocol/muc"/>${extra}</presence>`,
    );
  }
}

/** The stanzas a decision sends, in order. */
export function sent(d: Decision): Element[] {
  return d.effects.flatMap((e) => (e.kind === "send" ? [e.stanza] : []));
}

export function statusCodes(presence: Element): number[] {
  const x = presence.getChild("x", "http://jabber.org/protocol/muc#user");
  return (x?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));
}
