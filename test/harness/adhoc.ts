// XEP-0050 ad-hoc commands from the test's side: `runCommand` with a test client (execute, then
// submit the form with the given fields), and `runWithSlixmpp`, the same from an independent
// client, Debian's python3-slixmpp (slixmpp-command.py, run by the system python3, which is the
// one the Debian package installs into).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { xml, type Element, type TestClient } from "./client.js";
import { iq } from "./muc-send.js";

export const COMMANDS_NS = "http://jabber.org/protocol/commands";
const DATA = "jabber:x:data";

/** The submitted form: one field per entry. */
export function submitForm(fields: Record<string, string>): Element {
  return xml(
    "x",
    { xmlns: DATA, type: "submit" },
    ...Object.entries(fields).map(([v, value]) =>
      xml("field", { var: v }, xml("value", {}, value)),
    ),
  );
}

/** Executes `node` at `to`: the first response (the form, or an error). */
export function startCommand(client: TestClient, to: string, node: string): Promise<Element> {
  return iq(client, to, "set", xml("command", { xmlns: COMMANDS_NS, node, action: "execute" }));
}

/** Submits `fields` in the session the first response `started` began: the outcome. */
export function submitCommand(
  client: TestClient,
  to: string,
  started: Element,
  fields: Record<string, string>,
  sessionid = started.getChild("command", COMMANDS_NS)?.attrs.sessionid,
): Promise<Element> {
  const { node } = started.getChild("command", COMMANDS_NS)?.attrs ?? {};
  const command = xml(
    "command",
    { xmlns: COMMANDS_NS, node, sessionid, action: "complete" },
    submitForm(fields),
  );
  return iq(client, to, "set", command);
}

/** Executes `node` and submits `fields`: the outcome. */
export async function runCommand(
  client: TestClient,
  to: string,
  node: string,
  fields: Record<string, string>,
): Promise<Element> {
  const started = await startCommand(client, to, node);
  if (started.attrs.type !== "result") return started;
  return submitCommand(client, to, started, fields);
}

/** The note of a completed command. */
export const noteOf = (outcome: Element): string | null =>
  outcome.getChild("command", COMMANDS_NS)?.getChildText("note") ?? null;

/** The items of a result form, as field name -> value. */
export function itemsOf(outcome: Element): Record<string, string>[] {
  const form = outcome.getChild("command", COMMANDS_NS)?.getChild("x", DATA);
  return (form?.getChildren("item") ?? []).map((item) =>
    Object.fromEntries(
      item.getChildren("field").map((f) => [f.attrs.var!, f.getChildText("value") ?? ""]),
    ),
  );
}

/** The condition of an error reply and the commands namespace's specific one, if any. */
export function commandErrorOf(reply: Element): [string | undefined, string | undefined] {
  const children = reply.getChild("error")?.getChildElements() ?? [];
  const general = children.find((c) => c.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas");
  const specific = children.find((c) => c.attrs.xmlns === COMMANDS_NS);
  return [general?.name, specific?.name];
}

export interface SlixmppOutcome {
  readonly commands?: string[];
  readonly form?: string[];
  readonly status?: string;
  readonly notes?: string[];
  readonly items?: Record<string, string>[];
  readonly error?: string;
}

const SCRIPT = fileURLToPath(new URL("./slixmpp-command.py", import.meta.url));
const PYTHON = "/usr/bin/python3"; // Debian's, where python3-slixmpp is

/** Runs `node` at `to` as `user` of `server` from slixmpp, submitting `fields`. */
export async function runWithSlixmpp(
  server: { c2sPort: number; domain: string },
  user: string,
  to: string,
  node: string,
  fields: Record<string, string>,
): Promise<SlixmppOutcome> {
  const args = {
    jid: `${user}@${server.domain}/slixmpp`,
    password: `${user}-pw`,
    host: "127.0.0.1",
    port: server.c2sPort,
    to,
    node,
    fields,
  };
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, JSON.stringify(args)], {
    timeout: 90_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as SlixmppOutcome;
}
