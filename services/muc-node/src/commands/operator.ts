// The operator's XEP-0050 commands on the service's own domain, the shell around ad-hoc.ts and
// forms.ts: only service administrators (MUC_ADMINS) see them (disco#items, 2.2) or run them
// (forbidden otherwise); each one acts on the links through the room rules
// (libs/muc-core/src/federation/operator.ts), room by room.
import { targets, type LinkTarget, type OperatorAction } from "@fedmuc/muc-core";
import type { RoomStore } from "@fedmuc/room-store";
import { NS, NS_DATA, StanzaError, bareOf, xml, type Element } from "@fedmuc/xmpp";
import type { DetachedPeers } from "../detached-peers.js";
import { pageOfLinks } from "../links-page.js";
import {
  canceled,
  commandError,
  completed,
  formStage,
  readCommand,
  stepOf,
  type Note,
} from "./ad-hoc.js";
import {
  COMMANDS,
  commandForm,
  commandOf,
  linksResult,
  readRequest,
  type OperatorRequest,
} from "./forms.js";
import type { CommandSessions } from "./sessions.js";

export interface OperatorDeps {
  readonly domain: string;
  readonly admins: readonly string[];
  readonly store: Pick<RoomStore, "links" | "linkHealth">;
  readonly sessions: CommandSessions;
  readonly detached: Pick<DetachedPeers, "detach" | "attach" | "list">;
  /** Runs `action` on the room's link with `peer`: whether it changed anything. */
  readonly act: (room: string, peer: string, action: OperatorAction) => Promise<boolean>;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

/** Rooms acted on at once: a command over thousands of links takes them a batch at a time. */
const BATCH = 32;

export class OperatorCommands {
  constructor(private readonly deps: OperatorDeps) {}

  #isAdmin(jid: string | undefined): boolean {
    return jid !== undefined && this.deps.admins.includes(bareOf(jid));
  }

  /** 2.2: the commands `requester` may run (none for anyone but an administrator). */
  items(requester: string | undefined): Element[] {
    if (!this.#isAdmin(requester)) return [];
    return Object.values(COMMANDS).map(({ node, name }) =>
      xml("item", { jid: this.deps.domain, node, name }),
    );
  }

  /** 2.3: disco#info of a command's node, or undefined if `node` is no command. */
  info(node: string): Element[] | undefined {
    const command = commandOf(node);
    if (!command) return undefined;
    return [
      xml("identity", {
        category: "automation",
        type: "command-node",
        name: COMMANDS[command].name,
      }),
      xml("feature", { var: NS.commands }),
      xml("feature", { var: NS_DATA }),
    ];
  }

  /** An iq carrying a command: its response, or undefined if it carries none. */
  async execute(iq: Element): Promise<Element | undefined> {
    const request = readCommand(iq);
    if (!request) return undefined;
    const command = commandOf(request.node);
    if (!command) throw new StanzaError("item-not-found", `No command ${request.node} here`);
    const requester = iq.attrs.from ?? "";
    if (!this.#isAdmin(requester)) {
      throw new StanzaError("forbidden", "Only the service's administrators run this command");
    }
    const step = stepOf(request);
    const { node } = request;
    const { sessions } = this.deps;
    if (step.kind === "start") {
      const id = await sessions.open(node, requester);
      return formStage(iq, node, id, commandForm(command, this.deps.detached.list()));
    }
    if (!(await sessions.holds(step.sessionid, node, requester))) {
      throw commandError("bad-sessionid", `No session ${step.sessionid} of ${node} (or it lapsed)`);
    }
    if (step.kind === "cancel") {
      await sessions.close(step.sessionid);
      return canceled(iq, node, step.sessionid);
    }
    // A form that cannot be read leaves the session open, to submit it again corrected.
    const submitted = readRequest(command, step.form);
    const { note, result } = await this.#run(submitted, requester);
    await sessions.close(step.sessionid);
    return completed(iq, node, step.sessionid, note, result);
  }

  async #run(
    request: OperatorRequest,
    requester: string,
  ): Promise<{ note: Note; result?: Element }> {
    const { store, detached, log } = this.deps;
    if (request.command === "links") {
      const page = pageOfLinks(await store.links(), request.query);
      const health = await store.linkHealth(page.links);
      const more = page.next ? `; more after ${page.next}` : "";
      const note = { type: "info", text: `${page.links.length} links${more}` } as const;
      return { note, result: linksResult(health, page.next) };
    }
    log(`operator command ${request.command}`, { requester, ...request });
    if (request.command === "attach") {
      const rooms = await detached.attach(request.service);
      const joined = await this.#each(
        rooms.map((room) => [room, request.service]),
        "attach",
      );
      const text = `${request.service} attached; ${joined} of ${rooms.length} rooms joined again`;
      return { note: { type: "info", text } };
    }
    const target: LinkTarget =
      request.command === "resync" ? request.target : { service: request.service };
    const links = (await store.links()).filter((l) => targets(l, target));
    if (request.command === "detach") {
      // Detached first, so that no room joins again meanwhile; the rooms here that leave a link
      // to it are noted, to join again on attach.
      await detached.detach(
        request.service,
        links.map((l) => l.room),
      );
    }
    const acted = await this.#each(
      links.map((l) => [l.room, l.peer]),
      request.command,
    );
    const skipped =
      request.command === "resync" && acted < links.length
        ? ` (${links.length - acted} not resynced here: joined by the peer, or a join on its way)`
        : "";
    const what = request.command === "resync" ? "resynced" : "detached";
    return { note: { type: "info", text: `${acted} of ${links.length} links ${what}${skipped}` } };
  }

  /** Runs `action` on each (room, peer), a batch at a time: how many it changed. */
  async #each(
    links: readonly (readonly [string, string])[],
    action: OperatorAction,
  ): Promise<number> {
    let acted = 0;
    for (let i = 0; i < links.length; i += BATCH) {
      const batch = links.slice(i, i + BATCH);
      const done = await Promise.all(
        batch.map(([room, peer]) => this.deps.act(room, peer, action)),
      );
      acted += done.filter(Boolean).length;
    }
    return acted;
  }
}
