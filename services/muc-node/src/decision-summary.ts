// What a trace tells of a room's decision (README.md "Operations", spans): what became of the
// stanza, and how far it was fanned out. A pure reading of the decision, for span attributes.
import { NS, type Element } from "@fedmuc/xmpp";
import type { Decision, Room } from "@fedmuc/muc-core";

export type Outcome = "entered" | "left" | "refused" | "message" | "changed" | "none";

export interface DecisionSummary {
  readonly "fedmuc.decision": Outcome;
  /** The condition of the error the sender got (refused). */
  readonly "fedmuc.error.condition"?: string;
  /** Stanzas sent to occupants and other entities here. */
  readonly "fedmuc.fanout.occupants": number;
  /** Federation links the decision sends to (through their outboxes or at once). */
  readonly "fedmuc.fanout.links": number;
  readonly "fedmuc.mutations": number;
}

/** The defined condition of an error stanza (RFC 6120 8.3.3). */
function conditionOf(stanza: Element): string | undefined {
  const error = stanza.getChild("error");
  return error?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas)?.name;
}

export function summarize(before: Room, decision: Decision): DecisionSummary {
  const { mutations, effects } = decision;
  const sent = effects.flatMap((e) => (e.kind === "send" ? [e.stanza] : []));
  const refusal = sent.find((s) => s.attrs.type === "error");
  const links = new Set<string>();
  let occupants = 0;
  for (const stanza of sent) {
    const bare = stanza.attrs.to?.split("/")[0] ?? "";
    if (before.links[bare]) links.add(bare);
    else occupants++;
  }
  for (const m of mutations) if (m.op === "enqueue" || m.op === "enqueueHistory") links.add(m.peer);
  const outcome = (): Outcome => {
    if (refusal) return "refused";
    const entered = mutations.some(
      (m) => m.op === "putOccupant" && !before.occupants[m.occupant.nick],
    );
    if (entered) return "entered";
    if (mutations.some((m) => m.op === "removeOccupant")) return "left";
    if (mutations.some((m) => m.op === "appendHistory")) return "message";
    return mutations.length > 0 ? "changed" : "none";
  };
  const condition = refusal && conditionOf(refusal);
  return {
    "fedmuc.decision": outcome(),
    ...(condition ? { "fedmuc.error.condition": condition } : {}),
    "fedmuc.fanout.occupants": occupants,
    "fedmuc.fanout.links": links.size,
    "fedmuc.mutations": mutations.length,
  };
}
