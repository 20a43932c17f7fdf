// The cheapest possible MUC behind an XMPP server, as a process of its own: a raw XEP-0114
// connection that records joined occupants from presences and reflects each groupchat message to
// every occupant in one socket write. No Redis, no XML parser, no validation, no presence
// broadcast: the ceiling for any component behind the same server.
// Env: ECHO_PORT, ECHO_DOMAIN, ECHO_SECRET. Prints "online" once the server accepted it.
import { connectRawComponent } from "../harness/component.js";

const ATTR = (name: string) => new RegExp(`\\s${name}=(['"])(.*?)\\1`);
const [FROM, TO, TYPE, ID] = ["from", "to", "type", "id"].map(ATTR) as [
  RegExp,
  RegExp,
  RegExp,
  RegExp,
];
const attr = (head: string, re: RegExp): string => re.exec(head)?.[2] ?? "";

/** room bare JID -> occupant full JID -> nick */
const rooms = new Map<string, Map<string, string>>();

const component = await connectRawComponent({
  port: Number(process.env.ECHO_PORT),
  domain: process.env.ECHO_DOMAIN ?? "",
  secret: process.env.ECHO_SECRET ?? "",
});
const { socket } = component;
socket.setNoDelay(true); // no Nagle delay on small writes
socket.removeAllListeners("data"); // drop the harness's transcript; the server sent nothing else yet
socket.on("close", () => process.exit(0));
process.once("SIGTERM", () => void component.close().then(() => process.exit(0)));

let buf = "";
socket.on("data", (chunk: string) => {
  buf += chunk;
  let pos = 0;
  // Top-level elements: <name ...>...</name> or <name .../>; no stanza here nests its own name.
  for (;;) {
    const start = buf.indexOf("<", pos);
    if (start < 0) {
      pos = buf.length;
      break;
    }
    const headEnd = buf.indexOf(">", start);
    if (headEnd < 0) break;
    if (buf[start + 1] === "/") {
      pos = headEnd + 1; // </stream:stream>
      continue;
    }
    const name = /^<([\w:]+)/.exec(buf.slice(start, start + 20))?.[1] ?? "";
    let end = headEnd + 1;
    if (buf[headEnd - 1] !== "/") {
      const close = buf.indexOf(`</${name}>`, headEnd);
      if (close < 0) break;
      end = close + name.length + 3;
    }
    const head = buf.slice(start, headEnd);
    if (name === "presence") onPresence(head);
    else if (name === "message") onMessage(head, buf.slice(headEnd + 1, end - 10));
    pos = end;
  }
  buf = buf.slice(Math.max(pos, 0));
});

function onPresence(head: string): void {
  const from = attr(head, FROM);
  const [room = "", nick = ""] = attr(head, TO).split("/");
  const occupants = rooms.get(room) ?? new Map<string, string>();
  rooms.set(room, occupants);
  if (attr(head, TYPE) === "unavailable") {
    occupants.delete(from);
    return;
  }
  occupants.set(from, nick);
  socket.write(
    `<presence from='${room}/${nick}' to='${from}'><x xmlns='http://jabber.org/protocol/muc#user'>` +
      `<item affiliation='none' role='participant'/><status code='110'/></x></presence>`,
  );
}

function onMessage(head: string, payload: string): void {
  if (head.endsWith("/") || attr(head, TYPE) !== "groupchat") return;
  const from = attr(head, FROM);
  const room = attr(head, TO);
  const nick = rooms.get(room)?.get(from);
  if (nick === undefined) return;
  const id = attr(head, ID);
  const prefix = `<message from='${room}/${nick}' type='groupchat'${id ? ` id='${id}'` : ""} to='`;
  let out = "";
  for (const occupant of rooms.get(room)?.keys() ?? []) {
    out += `${prefix}${occupant}'>${payload}</message>`;
  }
  socket.write(out);
}

process.stdout.write("online\n");
