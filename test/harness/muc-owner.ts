// Owners: creating and configuring rooms (XEP-0045 10.1, 10.2).
import type { MucBed } from "./muc.js";
import { xml, type Element, type TestClient } from "./client.js";
import { statusCodes } from "./muc-read.js";
import { expectResult, iq, settle } from "./muc-send.js";
import { type JoinOptions, type Joined, join } from "./muc-enter.js";
import { NS } from "./muc-ns.js";

export type FormValues = Record<string, string | readonly string[]>;

/** A submitted data form (XEP-0004). */
export function submitForm(formType: string, values: FormValues): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "submit" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, formType)),
    ...Object.entries(values).map(([name, value]) =>
      xml(
        "field",
        { var: name },
        ...(typeof value === "string" ? [value] : value).map((v) => xml("value", {}, v)),
      ),
    ),
  );
}

/** The values of a data form's fields by name. */
export function formFields(form: Element): Map<string, string[]> {
  return new Map(
    form
      .getChildren("field")
      .map((f) => [f.attrs.var as string, f.getChildren("value").map((v) => v.getText())]),
  );
}

/** Submits the muc#roomconfig form with `values` (short names: `roomname` for muc#roomconfig_roomname). */
export function configure(client: TestClient, room: string, values: FormValues = {}) {
  const full = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k.includes("#") ? k : `muc#roomconfig_${k}`, v]),
  );
  return iq(
    client,
    room,
    "set",
    xml("query", { xmlns: NS.mucOwner }, submitForm(NS.roomconfig, full)),
  );
}

/** The room's configuration form (10.2), or throws with the error. */
export async function configForm(client: TestClient, room: string): Promise<Element> {
  const reply = expectResult(await iq(client, room, "get", xml("query", { xmlns: NS.mucOwner })));
  return reply.getChild("query", NS.mucOwner)!.getChild("x", NS.data)!;
}

/**
 * 10.1: creates the room by entering it (201), then accepts the default configuration with an
 * empty form (10.1.2, instant room), or submits `config` (10.1.3, reserved room).
 */
export async function createRoom(
  client: TestClient,
  room: string,
  nick: string,
  config?: FormValues,
): Promise<Joined> {
  const joined = await join(client, room, nick);
  if (!statusCodes(joined.self).includes(201)) {
    throw new Error(`${room} was not new: ${joined.self.toString()}`);
  }
  expectResult(config ? await configure(client, room, config) : await instantRoom(client, room));
  return joined;
}

/** 10.1.2: the owner accepts the default configuration with an empty submitted form; the reply. */
export function instantRoom(client: TestClient, room: string): Promise<Element> {
  return iq(
    client,
    room,
    "set",
    xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" })),
  );
}

/**
 * A new room of `bed`, created by Alice (an instant room, or one configured with `config`), that
 * Bob enters (with `bobJoins`); returns once both have everything of it (settle).
 */
export async function aliceAndBob(
  bed: MucBed,
  label: string,
  config?: FormValues,
  bobJoins: JoinOptions = {},
) {
  const room = bed.room(label);
  const [alice, bob] = await bed.connectAll("alice", "bob");
  await createRoom(alice, room, "Alice", config);
  await join(bob, room, "Bob", bobJoins);
  await settle(room, alice, bob);
  return { room, alice, bob };
}

/** The same with Carol entering after Bob. */
export async function threeWitches(bed: MucBed, label: string, config?: FormValues) {
  const { room, alice, bob } = await aliceAndBob(bed, label, config);
  const carol = await bed.connect("carol");
  await join(carol, room, "Carol");
  await settle(room, alice, bob, carol);
  return { room, alice, bob, carol };
}
