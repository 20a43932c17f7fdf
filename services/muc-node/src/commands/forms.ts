// The operator's commands (README.md "Operating the links"): their nodes, the forms they ask, and
// the submitted forms read into requests, as pure functions. A field that cannot be read is
// refused with bad-payload (XEP-0050 4.6), naming the field.
import { NS, formElement, formValues, parseJid, reportedForm, type Element } from "@fedmuc/xmpp";
import type { LinkTarget } from "@fedmuc/muc-core";
import type { LinkHealth } from "@fedmuc/room-store";
import { commandError } from "./ad-hoc.js";
import {
  DEFAULT_PAGE,
  LINK_STATES,
  LinksQueryError,
  readLinksQuery,
  type LinksQuery,
} from "../links-page.js";

/** The FORM_TYPE of every form of these commands. */
export const OPERATOR_FORM = `${NS.fedmuc}#operator`;

export const COMMANDS = {
  links: { node: `${NS.fedmuc}#links`, name: "List federation links" },
  resync: { node: `${NS.fedmuc}#resync`, name: "Resync federation links" },
  detach: { node: `${NS.fedmuc}#detach`, name: "Detach a peer service" },
  attach: { node: `${NS.fedmuc}#attach`, name: "Attach a detached peer service" },
} as const;

export type CommandName = keyof typeof COMMANDS;

export function commandOf(node: string | undefined): CommandName | undefined {
  return (Object.keys(COMMANDS) as CommandName[]).find((c) => COMMANDS[c].node === node);
}

export type OperatorRequest =
  | { readonly command: "links"; readonly query: LinksQuery }
  | { readonly command: "resync"; readonly target: LinkTarget }
  | { readonly command: "detach" | "attach"; readonly service: string };

const PEER_LABEL = "Peer service (e.g. talk.example.org) or room (room@service)";

/** The form a command asks; `detached`: the services detached now (for attach). */
export function commandForm(command: CommandName, detached: readonly string[]): Element {
  const title = COMMANDS[command].name;
  const peer = (required: boolean) =>
    ({
      var: "peer",
      type: "text-single",
      label: required ? PEER_LABEL : `${PEER_LABEL}; empty: every link`,
      values: [],
    }) as const;
  const service = {
    var: "service",
    type: "text-single",
    label: "Peer service",
    values: [],
  } as const;
  switch (command) {
    case "links":
      return formElement(
        "form",
        OPERATOR_FORM,
        [
          peer(false),
          {
            var: "state",
            type: "list-single",
            label: "State",
            values: ["any"],
            options: ["any", ...LINK_STATES].map((s) => ({ label: s, value: s })),
          },
          {
            var: "limit",
            type: "text-single",
            label: "Links per page",
            values: [String(DEFAULT_PAGE)],
          },
          {
            var: "after",
            type: "text-single",
            label: "Start after (a result's 'next')",
            values: [],
          },
        ],
        title,
      );
    case "resync":
      return formElement("form", OPERATOR_FORM, [peer(true)], title);
    case "detach":
      return formElement("form", OPERATOR_FORM, [service], title);
    case "attach": {
      const options = detached.map((s) => ({ label: s, value: s }));
      return formElement(
        "form",
        OPERATOR_FORM,
        [{ ...service, type: "list-single", options }],
        title,
      );
    }
  }
}

/** The one value of field `name` ("" when absent); more than one is refused. */
function single(values: ReadonlyMap<string, readonly string[]>, name: string): string {
  const given = values.get(name) ?? [];
  if (given.length > 1) throw commandError("bad-payload", `Field ${name} takes one value`);
  return (given[0] ?? "").trim();
}

/** A peer service's domain, or a room's bare JID, from field `name`. */
function targetOf(text: string, name: string): LinkTarget {
  let jid;
  try {
    jid = parseJid(text);
  } catch {
    throw commandError("bad-payload", `Field ${name}: not a service or room address: ${text}`);
  }
  if (jid.resource) {
    throw commandError("bad-payload", `Field ${name}: a room's bare address, not ${text}`);
  }
  return jid.local ? { room: `${jid.local}@${jid.domain}` } : { service: jid.domain };
}

function required(values: ReadonlyMap<string, readonly string[]>, name: string): string {
  const value = single(values, name);
  if (!value) throw commandError("bad-payload", `Field ${name} is required`);
  return value;
}

/** The submitted `form` of `command`, read. */
export function readRequest(command: CommandName, form: Element): OperatorRequest {
  const values = formValues(form);
  if (command === "links") return { command, query: linksQuery(values) };
  if (command === "resync") return { command, target: targetOf(required(values, "peer"), "peer") };
  const target = targetOf(required(values, "service"), "service");
  if (!("service" in target)) {
    throw commandError("bad-payload", `Field service: a service's domain, not a room`);
  }
  return { command, service: target.service };
}

/** The list's fields as the links page's parameters: the same query, the same checks. */
function linksQuery(values: ReadonlyMap<string, readonly string[]>): LinksQuery {
  const params = new URLSearchParams();
  const peer = single(values, "peer");
  if (peer) {
    const target = targetOf(peer, "peer");
    params.set(
      ...(("service" in target ? ["peer_service", target.service] : ["room", target.room]) as [
        string,
        string,
      ]),
    );
  }
  const state = single(values, "state");
  if (state && state !== "any") params.set("state", state);
  const limit = single(values, "limit");
  if (limit) params.set("limit", limit);
  const after = single(values, "after");
  if (after) params.set("after", after);
  try {
    return readLinksQuery(params);
  } catch (err) {
    if (err instanceof LinksQueryError) throw commandError("bad-payload", `Field ${err.message}`);
    throw err;
  }
}

const REPORTED = [
  { var: "room", type: "jid-single", label: "Room" },
  { var: "peer", type: "jid-single", label: "Peer room" },
  { var: "state", type: "text-single", label: "State" },
  { var: "backlog", type: "text-single", label: "Backlog (stanzas waiting)" },
] as const;

/** The list's result: one item per link, and where the next page starts, if there is one. */
export function linksResult(links: readonly LinkHealth[], next: string | null): Element {
  const items = links.map((l) => ({
    room: l.room,
    peer: l.peer,
    state: l.state,
    backlog: String(l.backlog),
  }));
  const more = next
    ? [{ var: "next", type: "text-single", label: "Next page after", values: [next] } as const]
    : [];
  return reportedForm(OPERATOR_FORM, COMMANDS.links.name, more, REPORTED, items);
}
