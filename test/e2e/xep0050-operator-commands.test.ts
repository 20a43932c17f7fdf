// The operator's XEP-0050 commands over real S2S (README.md "Operating the links"): a hub and a
// spoke service, three federated rooms, an administrator at each site and a user who is none.
// Only administrators see and run the commands; the list is read by an independent client
// (slixmpp); a resync joins afresh in a new session with nobody leaving; a detach takes the
// spoke's rooms off their links, each side's occupants leave the other's view, /links shows them
// gone, and the spoke cannot join again until the hub attaches it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  arrives,
  groupchatBody,
  iq,
  join,
  marks,
  presenceFrom,
  sendGroupchat,
  since,
  xml,
  type TestClient,
} from "../harness/muc.js";
import {
  COMMANDS_NS,
  commandErrorOf,
  itemsOf,
  noteOf,
  runCommand,
  runWithSlixmpp,
  startCommand,
  submitCommand,
} from "../harness/adhoc.js";
import {
  ROOMS,
  TALK,
  federateRooms,
  hubRoom,
  spokeRoom,
  startFederatedSites,
  type FederatedSites,
} from "../harness/fmuc.js";
import { connectRedis } from "../harness/redis.js";
import { linksOf, waitForLog } from "../harness/service.js";

const NAMES = ["east", "north", "south"];
const node = (command: string) => `urn:fedmuc:fmuc:0#${command}`;
const TIMERS = { FMUC_JOIN_TIMEOUT_MS: "1500", FMUC_RETRY_MAX_MS: "2000" };

let bed: FederatedSites<"alice" | "hatter" | "hamlet" | "ophelia" | "horatio">;
let alice: TestClient, hatter: TestClient, hamlet: TestClient, ophelia: TestClient;
let horatio: TestClient;

beforeAll(async () => {
  bed = await startFederatedSites({
    hub: {
      users: ["alice", "hatter"],
      services: [
        {
          component: ROOMS,
          env: { FMUC_ALLOW: TALK.domain, MUC_ADMINS: "alice@wonderland.lit" },
        },
      ],
    },
    spoke: {
      users: ["hamlet", "ophelia", "horatio"],
      services: [
        {
          component: TALK,
          env: { ...TIMERS, FMUC_UPSTREAM: ROOMS.domain, MUC_ADMINS: "ophelia@denmark.lit" },
        },
      ],
    },
  });
  ({ alice, hatter, hamlet, ophelia, horatio } = await bed.connectUsers());
  await federateRooms(alice, hamlet, NAMES);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** The session of the spoke room's link to its hub room, as the spoke's Redis has it. */
async function spokeSession(name: string): Promise<string | undefined> {
  const redis = connectRedis(bed.redis.spoke);
  try {
    const key = `${bed.spoke.options.keyPrefix}{${spokeRoom(name)}}:links`;
    const json = await redis.hget(key, hubRoom(name));
    return json ? (JSON.parse(json) as { session?: string }).session : undefined;
  } finally {
    redis.disconnect();
  }
}

const commandItems = async (client: TestClient) => {
  const query = xml("query", {
    xmlns: "http://jabber.org/protocol/disco#items",
    node: COMMANDS_NS,
  });
  const reply = await iq(client, ROOMS.domain, "get", query);
  return reply
    .getChild("query")!
    .getChildren("item")
    .map((i) => i.attrs.node);
};

describe("XEP-0050 operator commands: who may run them, and bad requests", () => {
  it("an administrator sees the four commands and the feature; anyone else sees none and is forbidden", async () => {
    const info = await iq(
      alice,
      ROOMS.domain,
      "get",
      xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
    );
    const vars = info
      .getChild("query")!
      .getChildren("feature")
      .map((f) => f.attrs.var);
    expect(vars).toContain(COMMANDS_NS);
    expect(await commandItems(alice)).toEqual(["links", "resync", "detach", "attach"].map(node));
    expect(await commandItems(hatter)).toEqual([]);
    const refused = await startCommand(hatter, ROOMS.domain, node("links"));
    expect(commandErrorOf(refused)).toEqual(["forbidden", undefined]);
  });

  it("an unknown command, an unknown session and a bad form are refused with the conditions of 4.6", async () => {
    const unknown = await startCommand(alice, ROOMS.domain, node("reboot"));
    expect(commandErrorOf(unknown)).toEqual(["item-not-found", undefined]);
    const started = await startCommand(alice, ROOMS.domain, node("links"));
    const stray = await submitCommand(alice, ROOMS.domain, started, {}, "no-such-session");
    expect(commandErrorOf(stray)).toEqual(["bad-request", "bad-sessionid"]);
    const bad = await submitCommand(alice, ROOMS.domain, started, { state: "asleep" });
    expect(commandErrorOf(bad)).toEqual(["bad-request", "bad-payload"]);
    expect(bad.getChild("error")!.getChildText("text")).toMatch(/^Field state must be one of/);
    // Nor can a user who is no administrator use the administrator's session.
    const taken = await submitCommand(hatter, ROOMS.domain, started, {});
    expect(commandErrorOf(taken)[0]).toBe("forbidden");
  });
});

describe("XEP-0050 operator commands: list, resync, detach, attach", () => {
  it("lists a peer service's links with their state and backlog, from slixmpp", async () => {
    const outcome = await runWithSlixmpp(bed.sites.hub, "alice", ROOMS.domain, node("links"), {
      peer: TALK.domain,
      state: "up",
    });
    expect(outcome.error).toBeUndefined();
    // slixmpp keeps disco items as a set: in no order.
    expect(outcome.commands?.sort()).toEqual(["attach", "detach", "links", "resync"].map(node));
    expect(outcome.form).toEqual(["FORM_TYPE", "peer", "state", "limit", "after"]);
    expect(outcome.status).toBe("completed");
    expect(outcome.notes).toEqual(["3 links"]);
    expect(outcome.items).toEqual(
      NAMES.map((n) => ({ room: hubRoom(n), peer: spokeRoom(n), state: "up", backlog: "0" })),
    );
  });

  it("resync of one room: a fresh join in a new session; nobody leaves, messages cross", async () => {
    const before = await spokeSession("north");
    const mark = marks(hamlet, alice);
    const done = await runCommand(ophelia, TALK.domain, node("resync"), {
      peer: spokeRoom("north"),
    });
    expect(noteOf(done)).toBe("1 of 1 links resynced");
    // What is said meanwhile waits for the join, and crosses once it completes.
    await sendGroupchat(alice, hubRoom("north"), "after the resync");
    await hamlet.waitFor(groupchatBody("after the resync"), 30_000);
    const after = await spokeSession("north");
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    const gone = (c: TestClient, from: string) =>
      since(c, mark.get(c)!, presenceFrom(from, "unavailable"));
    expect(gone(hamlet, `${spokeRoom("north")}/Alice`)).toEqual([]);
    expect(gone(alice, `${hubRoom("north")}/Hamlet`)).toEqual([]);
    expect((await linksOf(bed.spoke, "state=up")).map((l) => l.room)).toEqual(NAMES.map(spokeRoom));
  });

  it("detach of the spoke at the hub: its rooms leave the links, each side's occupants leave the other's view, and it cannot join again", async () => {
    const mark = marks(hamlet, alice);
    const done = await runCommand(alice, ROOMS.domain, node("detach"), { service: TALK.domain });
    expect(noteOf(done)).toBe("3 of 3 links detached");
    for (const name of NAMES) {
      const why = await arrives(
        alice,
        presenceFrom(`${hubRoom(name)}/Hamlet`, "unavailable"),
        mark,
      );
      expect(why.getChildText("status")).toContain("detached");
      await arrives(hamlet, presenceFrom(`${spokeRoom(name)}/Alice`, "unavailable"), mark);
    }
    expect(await linksOf(bed.hub)).toEqual([]);
    expect(await linksOf(bed.spoke)).toEqual([]);
    // A newcomer at the spoke makes its room join again: refused while detached.
    const refused = waitForLog(bed.spoke.logFile, "is detached from the service of", 30_000);
    await join(horatio, spokeRoom("north"), "Horatio");
    await refused;
    expect(await linksOf(bed.hub)).toEqual([]);
    expect(since(alice, mark.get(alice)!, presenceFrom(`${hubRoom("north")}/Horatio`))).toEqual([]);
  });

  it("attach: the spoke's rooms may join again, and the next arrival brings a room back", async () => {
    const done = await runCommand(alice, ROOMS.domain, node("attach"), { service: TALK.domain });
    expect(noteOf(done)).toMatch(new RegExp(`^${TALK.domain} attached`));
    const mark = marks(alice, hamlet);
    await join(ophelia, spokeRoom("north"), "Ophelia");
    for (const nick of ["Hamlet", "Horatio", "Ophelia"]) {
      await arrives(alice, presenceFrom(`${hubRoom("north")}/${nick}`), mark, 30_000);
    }
    await arrives(hamlet, presenceFrom(`${spokeRoom("north")}/Alice`), mark, 30_000);
    const links = await linksOf(bed.hub, `peer_service=${TALK.domain}&state=up`);
    expect(links.map((l) => l.room)).toEqual([hubRoom("north")]);
    expect(itemsOf(await runCommand(alice, ROOMS.domain, node("links"), {}))).toEqual([
      { room: hubRoom("north"), peer: spokeRoom("north"), state: "up", backlog: "0" },
    ]);
  });
});
