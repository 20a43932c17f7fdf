// One inbound stanza, as a server span (README.md "Operations"): to a room, or to the service.
// The trace context a stanza carries (libs/fmuc-core trace.ts) is always taken off it before the
// rules see it, and continued only when an FMUC peer sent it or another worker handed it over;
// from anyone else it is ignored. Timed per stanza name; a slow one is logged with its trace id.
import type { Config } from "@fedmuc/config";
import { takeTrace } from "@fedmuc/fmuc-core";
import { addressOf } from "@fedmuc/muc-core";
import type { RoomStore } from "@fedmuc/room-store";
import { SpanKind, contextOf, withSpan, type Context, type Logger } from "@fedmuc/telemetry";
import { NS, parseJid, type Element } from "@fedmuc/xmpp";
import { fromFmucPeer } from "./federation.js";
import type { WorkerMetrics } from "./metrics.js";
import type { PathWatch } from "./path-watch.js";
import { failureReply, type RoomHandler, type Send } from "./room-handler.js";
import { handleService } from "./service-handler.js";
import type { OperatorCommands } from "./commands/operator.js";

export interface InboundDeps {
  readonly config: Config;
  readonly rooms: RoomHandler;
  readonly store: RoomStore;
  readonly send: Send;
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  /** The checks of the paths to peer services, which take their answers. */
  readonly paths?: Pick<PathWatch, "answered" | "heard">;
  /** The operator's XEP-0050 commands on the service's domain. */
  readonly commands?: OperatorCommands;
  /** Counts a stanza that came over a federation link. */
  readonly linkTraffic: (stanza: Element) => void;
  /** The clock, in ms (performance.now by default). */
  readonly now?: () => number;
}

/** The stanza's trace context, taken off it: its parent, if it came from a trusted sender. */
export function arrivingContext(
  config: Config,
  stanza: Element,
  trusted: boolean,
): Context | undefined {
  const carried = takeTrace(stanza);
  if (!carried || !(trusted || fromFmucPeer(config, stanza.attrs.from))) return undefined;
  return contextOf(carried);
}

/** Handles stanzas; `trusted`: handed over by another worker of this service. */
export function inboundHandler(deps: InboundDeps) {
  const { config, rooms, store, send, metrics, log, now = () => performance.now() } = deps;
  return async function handle(stanza: Element, trusted = false): Promise<void> {
    const started = now();
    const parent = arrivingContext(config, stanza, trusted);
    const fromPeer = fromFmucPeer(config, stanza.attrs.from);
    const attributes = {
      "xmpp.stanza": stanza.name,
      "xmpp.type": stanza.attrs.type ?? "",
      // The sender's id: how an operator finds the trace of a message a user names.
      "xmpp.id": stanza.attrs.id ?? "",
      "fedmuc.link": fromPeer,
    };
    let outcome = "ok";
    await withSpan("fedmuc.stanza", { kind: SpanKind.SERVER, attributes, parent }, async () => {
      try {
        const to = parseJid(stanza.attrs.to ?? "");
        if (stanza.getChild("fmuc", NS.fmuc)) deps.linkTraffic(stanza);
        if (fromPeer) await deps.paths?.heard(stanza);
        if (to.local) await rooms.handle(addressOf(stanza.attrs.to).room, stanza);
        else if (!(await deps.paths?.answered(stanza))) {
          const reply = await handleService(stanza, { store, commands: deps.commands });
          if (reply) await send(reply);
        }
      } catch (err) {
        outcome = "error";
        if (!(err instanceof Error && err.name === "StanzaError")) {
          log.error({ err, stanza: stanza.toString().slice(0, 500) }, "stanza handling failed");
        }
        const reply = failureReply(stanza, err);
        if (reply) await send(reply);
      }
      // Inside the span: the line carries its trace id, the way from a slow bucket to a trace.
      const ms = now() - started;
      const slow = config.LOG_SLOW_STANZA_MS;
      if (slow > 0 && ms > slow) {
        log.warn({ stanza: stanza.name, to: stanza.attrs.to, ms: Math.round(ms) }, "slow stanza");
      }
    });
    const seconds = (now() - started) / 1000;
    metrics.stanzas.inc({ name: stanza.name, outcome });
    metrics.handleSeconds.observe({ name: stanza.name }, seconds);
    if (fromPeer) metrics.linkStanzaSeconds.observe({ direction: "in" }, seconds);
  };
}
