// XEP-0289: which room a room federates with (joins).
import type { Context, Room } from "../types.js";

/** The owner's choice in the configuration form, else the service's (FMUC_UPSTREAM). */
export function upstreamOf(room: Room, ctx: Context): string | null {
  const chosen = room.config.upstream;
  return chosen === undefined ? ctx.federation.upstream(room.jid) : chosen;
}
