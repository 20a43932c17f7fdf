// One message on the link, part by part (libs/fmuc-core/src/account.ts): the hub's occupant says
// one message, and the stanza that carries it to the spoke is taken from the S2S stream as it
// crossed the shaper (plain text on the bed), on each path: the link's copy between the two
// sites' nodes (federated), and one plain copy from the hub's room to a spoke user (direct).
import { byteAccount, type ByteAccount } from "@fedmuc/fmuc-core";
import { parse } from "@fedmuc/xmpp";
import type { FederatedSites } from "../harness/fmuc.js";
import { PATHS, gather, type Path } from "./link-audience.js";
import { send } from "./link-bytes.js";

export interface Accounted {
  /** The stanza's bytes as they crossed. */
  readonly wire: number;
  /** Its parts, as serialized again (quoting may differ from the wire by a few bytes). */
  readonly account: ByteAccount;
}

export async function oneMessage(
  bed: FederatedSites,
  bodyChars: number,
): Promise<Record<Path, Accounted>> {
  const { shaper } = bed.sites;
  shaper.setRate(null);
  shaper.setLatency(0);
  const accounted: Partial<Record<Path, Accounted>> = {};
  for (const path of PATHS) {
    const audience = await gather(bed, path, `account-${path}`, 1);
    try {
      const body = `account ${path} `.padEnd(bodyChars, "x");
      shaper.record();
      await send(audience, "hub", [body]);
      accounted[path] = stanzaWith(shaper.recorded().hubToSpoke, body);
    } finally {
      await audience.close();
    }
  }
  return accounted as Record<Path, Accounted>;
}

/** The message stanza in `stream` (S2S text) whose body is `body`. */
function stanzaWith(stream: string, body: string): Accounted {
  const at = stream.indexOf(`<body>${body}</body>`);
  const start = stream.lastIndexOf("<message", at);
  const close = stream.indexOf("</message>", at);
  if (at < 0 || start < 0 || close < 0) throw new Error(`no stanza with body "${body}" crossed`);
  const text = stream.slice(start, close + "</message>".length);
  return { wire: Buffer.byteLength(text), account: byteAccount(parse(text)) };
}
