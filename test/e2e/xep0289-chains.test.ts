// XEP-0289 in chains, with three services of this project as separate components behind one
// Prosody and real clients on each: the boat's rooms join the ship's, whose rooms join the
// fleet's (spoke -> regional hub -> central hub). The ship's service relays rooms it has no users
// in: a join from the boat makes the ship's room, which joins the fleet's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestClient } from "../harness/client.js";
import { barrier, startServerBed, subjectIs, withFmuc, type ServerBed } from "../harness/fmuc.js";
import {
  NS,
  arrives,
  createRoom,
  fromRoom,
  groupchatBody,
  join,
  leave,
  marks,
  once,
  presenceFrom,
  sendGroupchat,
  sendSubject,
  settle,
  type Predicate,
} from "../harness/muc.js";
import { linksOf, waitForLog, type ServiceHandle } from "../harness/service.js";

const FLEET = { domain: "fleet.localhost", secret: "fleet-secret" };
const SHIP = { domain: "ship.localhost", secret: "ship-secret" };
const BOAT = { domain: "boat.localhost", secret: "boat-secret" };

let bed: ServerBed;
let fleet: ServiceHandle, ship: ServiceHandle, boat: ServiceHandle;
const user = (name: string) => bed.user(name);

beforeAll(async () => {
  bed = await startServerBed({
    users: ["admiral", "captain", "cox", "mate"],
    services: [
      { component: FLEET, env: { FMUC_ALLOW: SHIP.domain } },
      { component: SHIP, env: { FMUC_UPSTREAM: FLEET.domain, FMUC_ALLOW: BOAT.domain } },
      { component: BOAT, env: { FMUC_UPSTREAM: SHIP.domain } },
    ],
  });
  [fleet, ship, boat] = bed.services as [ServiceHandle, ServiceHandle, ServiceHandle];
}, 90_000);

afterAll(() => bed?.stop());

describe("XEP-0289 in a chain: the boat joins the ship, which joins the fleet", () => {
  it("a message from the bottom reaches the top once, and the reply comes back down once", async () => {
    const [admiral, captain, cox] = [
      await user("admiral"),
      await user("captain"),
      await user("cox"),
    ];
    const rooms = {
      fleet: `deck@${FLEET.domain}`,
      ship: `deck@${SHIP.domain}`,
      boat: `deck@${BOAT.domain}`,
    };
    await createRoom(admiral, rooms.fleet, "Admiral");
    await join(captain, rooms.ship, "Captain");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Captain`), 10_000);
    await join(cox, rooms.boat, "Cox");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Cox`), 10_000);
    await cox.waitFor(presenceFrom(`${rooms.boat}/Admiral`), 10_000);

    await sendGroupchat(cox, rooms.boat, "Land ho");
    await admiral.waitFor(groupchatBody("Land ho"), 10_000);
    await captain.waitFor(groupchatBody("Land ho"), 10_000);
    await sendGroupchat(admiral, rooms.fleet, "Well spotted");
    await cox.waitFor(groupchatBody("Well spotted"), 10_000);
    await captain.waitFor(groupchatBody("Well spotted"), 10_000);
    await settle(rooms.fleet, admiral);
    await settle(rooms.ship, captain);
    await settle(rooms.boat, cox);
    for (const [client, room] of [
      [admiral, rooms.fleet],
      [captain, rooms.ship],
      [cox, rooms.boat],
    ] as const) {
      const heard = client.received.filter((el) => el.getChildText("body") !== null);
      expect(heard.map((el) => [el.attrs.from, el.getChildText("body")])).toEqual([
        [`${room}/Cox`, "Land ho"],
        [`${room}/Admiral`, "Well spotted"],
      ]);
      expect(withFmuc(client)).toEqual([]);
    }
  });
});

const ORDERS = "Steady as she goes";

/** The room `local` of each service. */
const deck = (local: string) => ({
  fleet: `${local}@${FLEET.domain}`,
  ship: `${local}@${SHIP.domain}`,
  boat: `${local}@${BOAT.domain}`,
});

/** The fleet's room `local`, made by the Admiral, with a subject and a message of history. */
async function fleetDeck(admiral: TestClient, local: string) {
  const rooms = deck(local);
  await createRoom(admiral, rooms.fleet, "Admiral");
  await sendSubject(admiral, rooms.fleet, ORDERS);
  await sendGroupchat(admiral, rooms.fleet, "Old orders");
  await admiral.waitFor(groupchatBody("Old orders"));
  return rooms;
}

const inRoom =
  (room: string, what: Predicate): Predicate =>
  (el) =>
    fromRoom(room)(el) && what(el);
const oldOrders: Predicate = (el) =>
  groupchatBody("Old orders")(el) && el.getChild("delay", NS.delay) !== undefined;

/** The links of `service` for the rooms called `local`. */
async function roomLinks(service: ServiceHandle, local: string) {
  const links = (await linksOf(service)).map(({ room, peer, state }) => ({ room, peer, state }));
  return links
    .filter((l) => l.room.startsWith(`${local}@`))
    .sort((a, b) => a.peer.localeCompare(b.peer));
}

describe("XEP-0289 through a relay: nobody is on the ship's deck", () => {
  it("the users below and above chat, each message reaching everyone once; the top's history and subject reach each user below once", async () => {
    const [admiral, cox, mate] = [await user("admiral"), await user("cox"), await user("mate")];
    const rooms = await fleetDeck(admiral, "watch");
    // Cox enters the boat's deck: the boat's joins the ship's, made then, which joins the fleet's.
    await join(cox, rooms.boat, "Cox");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Cox`), 10_000);
    await cox.waitFor(inRoom(rooms.boat, subjectIs(ORDERS)), 10_000);
    expect(await roomLinks(ship, "watch")).toEqual([
      { room: rooms.ship, peer: rooms.boat, state: "up" },
      { room: rooms.ship, peer: rooms.fleet, state: "up" },
    ]);
    await join(mate, rooms.boat, "Mate");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Mate`), 10_000);

    await sendGroupchat(cox, rooms.boat, "Land ho");
    await sendGroupchat(admiral, rooms.fleet, "Well spotted");
    await sendGroupchat(mate, rooms.boat, "Aye");
    await barrier(
      { room: rooms.fleet, clients: [admiral] },
      { room: rooms.boat, clients: [cox, mate] },
    );
    for (const [client, room] of [
      [admiral, rooms.fleet],
      [cox, rooms.boat],
      [mate, rooms.boat],
    ] as const) {
      for (const [nick, body] of [
        ["Cox", "Land ho"],
        ["Admiral", "Well spotted"],
        ["Mate", "Aye"],
      ]) {
        expect(once(client, groupchatBody(body!)).attrs.from).toBe(`${room}/${nick}`);
      }
      expect(withFmuc(client)).toEqual([]);
    }
    for (const client of [cox, mate]) {
      once(client, presenceFrom(`${rooms.boat}/Admiral`));
      expect(once(client, oldOrders).attrs.from).toBe(`${rooms.boat}/Admiral`);
      once(client, subjectIs(ORDERS));
    }
  });

  it("the last user below leaving takes the ship's deck out of the fleet's, which confirms (<left/>); entering again works", async () => {
    const [admiral, cox] = [await user("admiral"), await user("cox")];
    const rooms = await fleetDeck(admiral, "helm");
    await join(cox, rooms.boat, "Cox");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Cox`), 10_000);
    await cox.waitFor(inRoom(rooms.boat, subjectIs(ORDERS)), 10_000);

    await leave(cox, rooms.boat, "Cox");
    await admiral.waitFor(presenceFrom(`${rooms.fleet}/Cox`, "unavailable"), 10_000);
    // The fleet's deck confirmed with <left/>, and the ship's deck, left empty, is gone.
    await waitForLog(ship.logFile, `left the set of ${rooms.fleet}`);
    await waitForLog(boat.logFile, `left the set of ${rooms.ship}`);
    expect(await roomLinks(fleet, "helm")).toEqual([]);
    expect(await roomLinks(ship, "helm")).toEqual([]);
    expect(await roomLinks(boat, "helm")).toEqual([]);

    const mark = marks(admiral, cox);
    await join(cox, rooms.boat, "Cox");
    await arrives(admiral, presenceFrom(`${rooms.fleet}/Cox`), mark);
    await arrives(cox, inRoom(rooms.boat, subjectIs(ORDERS)), mark);
    await sendGroupchat(cox, rooms.boat, "Back aboard");
    await barrier({ room: rooms.fleet, clients: [admiral] }, { room: rooms.boat, clients: [cox] });
    for (const client of [admiral, cox]) once(client, groupchatBody("Back aboard"), mark);
    once(admiral, presenceFrom(`${rooms.fleet}/Cox`), mark);
    once(cox, presenceFrom(`${rooms.boat}/Admiral`), mark);
    once(cox, oldOrders, mark);
    once(cox, subjectIs(ORDERS), mark);
    expect(withFmuc(admiral)).toEqual([]);
    expect(withFmuc(cox)).toEqual([]);
  });
});
