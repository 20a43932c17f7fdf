// /links at hub scale (README.md "Operations"), and the operator's command that lists links
// (commands/forms.ts): the service's federation links, filtered by peer service or room and by
// state, a page at a time in a stable order (room, then peer), each page naming where the next
// one starts.
import { serviceOf, targets } from "@fedmuc/muc-core";
import type { IndexedLink } from "@fedmuc/room-store";

export interface LinksQuery {
  readonly peerService?: string;
  /** One room's links: a room of this service, or a peer room. */
  readonly room?: string;
  readonly state?: string;
  readonly limit: number;
  /** The last link of the previous page ("room peer"); the page starts after it. */
  readonly after?: string;
}

export interface LinksPage {
  readonly links: (IndexedLink & { readonly peer_service: string })[];
  /** The `after` of the next page; null on the last one. */
  readonly next: string | null;
}

export const LINK_STATES = ["joining", "up", "down", "resyncing"] as const;
export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 5000;

/** A query parameter that cannot be read; the HTTP layer answers 400 with its message. */
export class LinksQueryError extends Error {
  override readonly name = "LinksQueryError";
}

const cursorOf = (l: IndexedLink) => `${l.room} ${l.peer}`;
const PARAMETERS = ["peer_service", "room", "state", "limit", "after"];

/** The query that `params` (of /links) ask; throws LinksQueryError naming a bad one. */
export function readLinksQuery(params: URLSearchParams): LinksQuery {
  for (const name of params.keys()) {
    if (!PARAMETERS.includes(name)) {
      throw new LinksQueryError(`unknown parameter ${name} (${PARAMETERS.join(", ")})`);
    }
  }
  const state = params.get("state") ?? undefined;
  if (state !== undefined && !(LINK_STATES as readonly string[]).includes(state)) {
    throw new LinksQueryError(`state must be one of ${LINK_STATES.join(", ")}, not ${state}`);
  }
  const limitText = params.get("limit") ?? String(DEFAULT_PAGE);
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_PAGE) {
    throw new LinksQueryError(
      `limit must be a whole number from 1 to ${MAX_PAGE}, not ${limitText}`,
    );
  }
  const peerService = params.get("peer_service") ?? undefined;
  const room = params.get("room") ?? undefined;
  const after = params.get("after") ?? undefined;
  return {
    limit,
    ...(peerService ? { peerService } : {}),
    ...(room ? { room } : {}),
    ...(state ? { state } : {}),
    ...(after ? { after } : {}),
  };
}

/** The page of `links` (in any order) that `query` asks for. */
export function pageOfLinks(links: readonly IndexedLink[], query: LinksQuery): LinksPage {
  const chosen = links
    .filter((l) => !query.peerService || targets(l, { service: query.peerService }))
    .filter((l) => !query.room || targets(l, { room: query.room }))
    .filter((l) => !query.state || l.state === query.state)
    .filter((l) => !query.after || cursorOf(l) > query.after)
    .sort((a, b) => (cursorOf(a) < cursorOf(b) ? -1 : 1));
  const page = chosen.slice(0, query.limit);
  const more = chosen.length > query.limit;
  return {
    links: page.map((l) => ({ ...l, peer_service: serviceOf(l.peer) })),
    next: more ? cursorOf(page.at(-1)!) : null,
  };
}

/** How many links there are of each state, per peer service (for fedmuc_peer_links). */
export function linkCounts(links: readonly IndexedLink[]): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const link of links) {
    const service = serviceOf(link.peer);
    const states = counts.get(service) ?? new Map(LINK_STATES.map((s) => [s, 0]));
    states.set(link.state, (states.get(link.state) ?? 0) + 1);
    counts.set(service, states);
  }
  return counts;
}
