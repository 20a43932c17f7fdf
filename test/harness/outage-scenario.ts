// An outage of the link of the two-site bed (startFederatedSites), as the constrained-links
// acceptance scenario runs it: occupants on both sides of a federated room, a calm phase of steady chat
// that measures the link's bytes per message, then the same chat across a cut of the link (with
// service restarts in it, if asked), the restore, and what became of every message. It measures
// and reports; the suite asserts (see test/e2e/constrained-link.test.ts for the measurement).
import { setTimeout as delay } from "node:timers/promises";
import { connectUser } from "./client.js";
import {
  betweenMessages,
  bodies,
  chat,
  crossings,
  delivered,
  enterFederatedRoom,
  outcome,
  roundTrip,
  toCross,
  type Chat,
  type Side,
  type Sides,
} from "./federated-chat.js";
import { ROOMS, TALK, withFmuc, type FederatedSites } from "./fmuc.js";
import { waitForLog } from "./service.js";
import { marks, seen, settle, type Element } from "./muc.js";
import { summary } from "./outage-summary.js";
import type { Direction, LinkStats, Site } from "./shaper.js";
import { tally, type RecipientTally, type Sent } from "./traffic.js";

export interface Restart {
  readonly site: Site;
  readonly signal: "SIGTERM" | "SIGKILL";
  /** After the cut. */
  readonly afterMs: number;
}

export interface Scenario {
  /** Names the rooms and tags the messages. */
  label: string;
  users: Record<Site, readonly string[]>;
  /** bit/s each way, and latency each way. */
  rate: number;
  latencyMs: number;
  outageMs: number;
  /** Each occupant sends one message this often. */
  intervalMs: number;
  /** How long the calm phase chats. */
  calmMs: number;
  /** How long after the restore every message may take to be everywhere. */
  resyncBoundMs: number;
  /** The spoke's service runs FMUC_MODE=primary-replica. */
  replica: boolean;
  restarts: readonly Restart[];
}

export interface ScenarioResult {
  /** Per traffic (hub's, then spoke's), per client: what it received of the accepted messages. */
  tallies: RecipientTally[];
  refused: Record<Site, Map<string, Element>>;
  /** Send time of every message of the outage's chat, by body. */
  sentAt: Map<string, number>;
  spokeSent: Sent[];
  /** When each site's service was not there (restarts). */
  down: { site: Site; from: number; to: number }[];
  cutAt: number;
  restoreAt: number;
  /** From the restore until every occupant had every accepted message; null: not by the bound. */
  convergedMs: number | null;
  /** From the restore until the last of them that came (null: none came after the restore). */
  lastArrivalMs: number | null;
  /** Unavailable presences and fmuc payloads any client received, as text. */
  unavailable: string[];
  fmuc: string[];
  barrier: boolean;
  bytes: {
    perMessage: Record<Direction, number>;
    missed: Record<Direction, number>;
    /** Resync bytes, both ways, and each way: from the restore until a message from each side
     * has crossed after every missed one arrived everywhere (or the bounds passed). */
    resync: number;
    resyncByDirection: Record<Direction, number>;
    /** Bytes from the restore until every missed message arrived everywhere (or the bound). */
    atConvergence: number;
    expected: number;
    ratio: number;
  };
}

const DIRECTIONS = ["hubToSpoke", "spokeToHub"] as const;
const capital = (user: string) => user[0]!.toUpperCase() + user.slice(1);
const total = (stats: LinkStats) => stats.hubToSpoke.bytes + stats.spokeToHub.bytes;
const untilTime = (at: number) => delay(Math.max(0, at - Date.now()));

export async function runScenario(bed: FederatedSites, s: Scenario): Promise<ScenarioResult> {
  const { shaper } = bed.sites;
  shaper.setRate(s.rate);
  shaper.setLatency(s.latencyMs);
  const side = async (site: Site): Promise<Side> => ({
    site,
    room: `outage-${s.label}@${(site === "hub" ? ROOMS : TALK).domain}`,
    clients: await Promise.all(s.users[site].map((u) => connectUser(bed.sites[site], u))),
    nicks: s.users[site].map(capital),
  });
  const sides: Sides = { hub: await side("hub"), spoke: await side("spoke") };
  const everyone = [...sides.hub.clients, ...sides.spoke.clients];
  try {
    await enterFederatedRoom(sides, 60_000);
    // The join is complete (the spoke's link is up) once the hub's subject came; what it set
    // off (the spoke's configuration query) is over after a round trip.
    await waitForLog(bed.spoke.logFile, "federation link up", 60_000);
    await roundTrip(sides, `${s.label} joined`, 30_000);

    const perMessage = await bytesPerCrossing(bed, sides, s);
    const tag = s.label;
    const talk = chat(sides, tag, s.intervalMs);
    const { cutAt, restoreAt, down, atRestore } = await outage(bed, sides, s, talk);

    const result = outcome(sides, talk);
    const missed = toCross(sides, result, s.replica, atRestore);
    const resynced = await delivered(everyone, bodies(result), restoreAt + s.resyncBoundMs);
    const convergedMs = resynced.all ? Date.now() - restoreAt : null;
    const lastArrivalMs = resynced.lastAt === undefined ? null : resynced.lastAt - restoreAt;
    const atConvergence = total(shaper.stats());
    // The resync's bytes run until a message from each side has crossed after it: by then
    // whatever the resync left on the link (retransmissions queued behind its traffic) has
    // crossed too. Those two messages are counted with the missed ones.
    const barrier = await roundTrip(sides, `${tag} resynced`, 30_000).then(
      () => true,
      () => false,
    );
    const after = shaper.stats();
    const resyncByDirection = {
      hubToSpoke: after.hubToSpoke.bytes,
      spokeToHub: after.spokeToHub.bytes,
    };
    const resync = total(after);
    const roundTripCrossings = [...crossings("hub", s.replica), ...crossings("spoke", s.replica)];
    const expected = DIRECTIONS.reduce(
      (sum, d) =>
        sum + (missed[d] + roundTripCrossings.filter((x) => x === d).length) * perMessage[d],
      0,
    );

    const sent = [...talk.traffic.hub.sent.flat(), ...talk.traffic.spoke.sent.flat()];
    const r: ScenarioResult = {
      tallies: (["hub", "spoke"] as const).flatMap((site) =>
        tally(everyone, `${tag}-${site}`, result.accepted[site]),
      ),
      refused: result.refused,
      sentAt: new Map(sent.map((m) => [m.body, m.at])),
      spokeSent: talk.traffic.spoke.sent.flat(),
      down,
      cutAt,
      restoreAt,
      convergedMs,
      lastArrivalMs,
      unavailable: everyone.flatMap((c) =>
        c.received.filter((el) => el.is("presence") && el.attrs.type === "unavailable").map(String),
      ),
      fmuc: everyone.flatMap((c) => withFmuc(c).map(String)),
      barrier,
      bytes: {
        perMessage,
        missed,
        resync,
        resyncByDirection,
        atConvergence,
        expected,
        ratio: resync / expected,
      },
    };
    console.info(summary(s, r, sent.length));
    return r;
  } finally {
    await Promise.all(everyone.map((c) => c.stop()));
  }
}

/** The calm phase: steady chat until all of it has arrived everywhere; the link's bytes per
 * message crossing it, each way (whatever else crossed meanwhile is part of the price). */
async function bytesPerCrossing(
  bed: FederatedSites,
  sides: Sides,
  s: Scenario,
): Promise<Record<Direction, number>> {
  const { shaper } = bed.sites;
  shaper.resetStats();
  const calm = chat(sides, `${s.label}calm`, s.intervalMs);
  await delay(s.calmMs);
  await calm.stop();
  await settleSides(sides);
  const calmOutcome = outcome(sides, calm);
  if (calmOutcome.refused.hub.size + calmOutcome.refused.spoke.size > 0) {
    const refused = [...calmOutcome.refused.hub.values(), ...calmOutcome.refused.spoke.values()];
    throw new Error(`messages refused while the link was up: ${refused.join(" ")}`);
  }
  const everyone = [...sides.hub.clients, ...sides.spoke.clients];
  if (!(await delivered(everyone, bodies(calmOutcome), Date.now() + 30_000)).all) {
    throw new Error("the calm phase's messages did not all arrive everywhere");
  }
  const calmStats = shaper.stats();
  const crossed = toCross(sides, calmOutcome, s.replica);
  return {
    hubToSpoke: calmStats.hubToSpoke.bytes / crossed.hubToSpoke,
    spokeToHub: calmStats.spokeToHub.bytes / crossed.spokeToHub,
  };
}

/**
 * Once `talk` crosses both ways, cuts the link while both sides chat on, restarts services as
 * asked, stops the chat when the outage is over (once every refusal is in), then restores the
 * link. Marks where each client stood at the restore.
 */
async function outage(bed: FederatedSites, sides: Sides, s: Scenario, talk: Chat) {
  const { shaper } = bed.sites;
  const tag = s.label;
  const crossedOnce = (from: Site, to: Side) =>
    seen(
      to.clients[0]!,
      (el) => (el.getChildText("body") ?? "").startsWith(`${tag}-${from}:`),
      30_000,
    );
  await Promise.all([crossedOnce("hub", sides.spoke), crossedOnce("spoke", sides.hub)]);
  const cutAt = Date.now();
  await shaper.cut();
  const down: ScenarioResult["down"] = [];
  for (const r of [...s.restarts].sort((a, b) => a.afterMs - b.afterMs)) {
    await untilTime(cutAt + r.afterMs);
    // A crash loses what the worker holds: kill it between two of its side's messages.
    if (r.signal === "SIGKILL") await betweenMessages(sides[r.site], `${tag}-${r.site}:`);
    const from = Date.now();
    await bed.restart(r.site, r.signal);
    down.push({ site: r.site, from, to: Date.now() });
  }
  await untilTime(cutAt + s.outageMs);
  await talk.stop();
  await settleSides(sides);
  const atRestore = marks(...sides.hub.clients, ...sides.spoke.clients);
  shaper.resetStats();
  const restoreAt = Date.now();
  await shaper.restore();
  return { cutAt, restoreAt, down, atRestore };
}

/** Each side's room has answered each of its occupants' earlier stanzas (errors included). */
function settleSides(sides: Sides) {
  return Promise.all([sides.hub, sides.spoke].map((side) => settle(side.room, ...side.clients)));
}
