// Chat in one room federated across the two-site bed (startFederatedSites): occupants on each
// side, steady chat from all of them, and the accounting of what had to cross the link and what had crossed.
import type { TestClient } from "./client.js";
import { HarnessError } from "./errors.js";
import {
  createRoom,
  groupchatBody,
  join,
  presenceFrom,
  seen,
  sendGroupchat,
  type Element,
} from "./muc.js";
import type { Direction, Site } from "./shaper.js";
import { accepted, refusals, steadyTraffic, type Sent, type Traffic } from "./traffic.js";

/** One site's part of the room: its room address and its occupants (clients and nicks). */
export interface Side {
  readonly site: Site;
  readonly room: string;
  readonly clients: readonly TestClient[];
  readonly nicks: readonly string[];
}

export type Sides = Record<Site, Side>;
const SITES = ["hub", "spoke"] as const;

/**
 * The hub's first occupant creates the hub's room; the others enter theirs, the spoke's first one
 * bringing the spoke's room into the hub's (XEP-0289 5.1). Resolves once every occupant has seen
 * every other one, on either side.
 */
export async function enterFederatedRoom(sides: Sides, timeoutMs: number): Promise<void> {
  const { hub, spoke } = sides;
  await createRoom(hub.clients[0]!, hub.room, hub.nicks[0]!);
  for (const side of [hub, spoke]) {
    for (const [i, client] of side.clients.entries()) {
      if (side === hub && i === 0) continue;
      await join(client, side.room, side.nicks[i]!);
    }
  }
  const everyone = [...hub.nicks, ...spoke.nicks];
  await Promise.all(
    SITES.flatMap((site) =>
      sides[site].clients.map(async (client) => {
        for (const nick of everyone) {
          await seen(client, presenceFrom(`${sides[site].room}/${nick}`), timeoutMs);
        }
      }),
    ),
  );
}

/** Steady chat on both sides: each occupant sends one message every `intervalMs`. */
export interface Chat {
  readonly traffic: Record<Site, Traffic>;
  stop(): Promise<void>;
}

export function chat(sides: Sides, tag: string, intervalMs: number): Chat {
  const start = (site: Site) =>
    steadyTraffic(sides[site].clients, sides[site].room, `${tag}-${site}`, intervalMs);
  const traffic = { hub: start("hub"), spoke: start("spoke") };
  return {
    traffic,
    stop: async () => void (await Promise.all(SITES.map((s) => traffic[s].stop()))),
  };
}

/** What became of a chat's messages: refused with an error, or accepted (by sender). */
export interface Outcome {
  readonly refused: Record<Site, Map<string, Element>>;
  readonly accepted: Record<Site, Sent[][]>;
}

export function outcome(sides: Sides, c: Chat): Outcome {
  const refused = {
    hub: refusals(sides.hub.clients, c.traffic.hub.sent),
    spoke: refusals(sides.spoke.clients, c.traffic.spoke.sent),
  };
  return {
    refused,
    accepted: {
      hub: accepted(c.traffic.hub.sent, refused.hub),
      spoke: accepted(c.traffic.spoke.sent, refused.spoke),
    },
  };
}

/** Every accepted body of an outcome. */
export const bodies = (o: Outcome): string[] =>
  SITES.flatMap((site) => o.accepted[site].flat().map((s) => s.body));

/**
 * The link directions a message of `from`'s occupants must cross to reach everyone: the spoke's
 * cross up; in primary-replica, they come back down too (the spoke delivers the hub's echo).
 */
export function crossings(from: Site, replica: boolean): Direction[] {
  if (from === "hub") return ["hubToSpoke"];
  return replica ? ["spokeToHub", "hubToSpoke"] : ["spokeToHub"];
}

const isGroupchat = (el: Element): boolean => el.is("message") && el.attrs.type === "groupchat";
const into: Record<Direction, Site> = { hubToSpoke: "spoke", spokeToHub: "hub" };

/**
 * Per direction, the accepted messages that must cross it and had not when `marks` were taken
 * (no occupant on the far side had received them then); without marks, all that must cross.
 */
export function toCross(
  sides: Sides,
  o: Outcome,
  replica: boolean,
  marks?: ReadonlyMap<TestClient, number>,
): Record<Direction, number> {
  const had = (site: Site): Set<string> =>
    new Set(
      sides[site].clients.flatMap((c) =>
        c.received
          .slice(0, marks ? marks.get(c) : 0)
          .filter(isGroupchat)
          .map((el) => el.getChildText("body") ?? ""),
      ),
    );
  const arrived = { hub: had("hub"), spoke: had("spoke") };
  const count: Record<Direction, number> = { hubToSpoke: 0, spokeToHub: 0 };
  for (const from of SITES) {
    for (const direction of crossings(from, replica)) {
      const far = arrived[into[direction]];
      count[direction] += o.accepted[from].flat().filter((s) => !far.has(s.body)).length;
    }
  }
  return count;
}

/** How far the clients got with a set of messages: all of them everywhere or not, and when the
 * last one that arrived anywhere came (Date.now() time; undefined if none came). */
export interface Delivery {
  readonly all: boolean;
  readonly lastAt: number | undefined;
}

/** Waits until every client has received every body (as a groupchat message), or `deadline`. */
export async function delivered(
  clients: readonly TestClient[],
  expected: readonly string[],
  deadline: number,
): Promise<Delivery> {
  let lastAt: number | undefined;
  const each = await Promise.all(
    clients.map(async (client) => {
      const body = (el: Element) => (isGroupchat(el) ? el.getChildText("body") : null) ?? "";
      const got = new Set(client.received.map(body));
      const missing = new Set(expected.filter((b) => !got.has(b)));
      try {
        while (missing.size > 0) {
          const el = await client.waitFor(
            (e) => missing.has(body(e)),
            Math.max(1, deadline - Date.now()),
          );
          missing.delete(body(el));
          lastAt = Date.now();
        }
        return true;
      } catch (err) {
        if (err instanceof HarnessError && err.code === "XMPP_TIMEOUT") return false;
        throw err;
      }
    }),
  );
  return { all: each.every(Boolean), lastAt };
}

/** Resolves just after a new message of the side's own chat reached all of its occupants: the
 * side's service holds nothing then, and its next one is an interval away. */
export async function betweenMessages(side: Side, prefix: string): Promise<void> {
  const first = side.clients[0]!;
  const known = new Set(first.received.map((el) => el.getChildText("body")));
  const next = await first.waitFor((el) => {
    const body = el.getChildText("body") ?? "";
    return el.is("message") && body.startsWith(prefix) && !known.has(body);
  }, 30_000);
  const body = next.getChildText("body")!;
  await Promise.all(side.clients.map((c) => seen(c, groupchatBody(body), 10_000)));
}

/**
 * A message from the spoke reaches everyone, then one from the hub. Each link direction delivers
 * in order, so whatever crossed the link before (a duplicate on its way, the answer to a query
 * the spoke sent) has arrived by then.
 */
export async function roundTrip(sides: Sides, tag: string, timeoutMs: number): Promise<void> {
  const everyone = [...sides.hub.clients, ...sides.spoke.clients];
  for (const side of [sides.spoke, sides.hub]) {
    const body = `${tag} round trip from the ${side.site}`;
    await sendGroupchat(side.clients[0]!, side.room, body);
    await Promise.all(everyone.map((c) => seen(c, groupchatBody(body), timeoutMs)));
  }
}
