import { describe, expect, it } from "vitest";
import { parse } from "@fedmuc/xmpp";
import { priorityOf } from "./priority.js";

const NOW = 1_700_000_000_000;
const LIVE_MS = 2_000;
const message = parse(`<message type="groupchat"><body>hi</body></message>`);
const presence = parse(`<presence><show>away</show></presence>`);
const fresh = { history: false, queuedAt: NOW - 10 };

describe("priority on a shared path", () => {
  it("puts a live message first, then a live presence (or any other live stanza)", () => {
    expect(priorityOf(fresh, message, NOW, LIVE_MS)).toBe("message");
    expect(priorityOf(fresh, presence, NOW, LIVE_MS)).toBe("presence");
    expect(priorityOf(fresh, parse(`<iq type="get"/>`), NOW, LIVE_MS)).toBe("presence");
  });

  it("counts what waited longer than the live threshold as backlog, message or not", () => {
    const waited = { history: false, queuedAt: NOW - LIVE_MS - 1 };
    expect(priorityOf(waited, message, NOW, LIVE_MS)).toBe("backlog");
    expect(priorityOf(waited, presence, NOW, LIVE_MS)).toBe("backlog");
    const atThreshold = { history: false, queuedAt: NOW - LIVE_MS };
    expect(priorityOf(atThreshold, message, NOW, LIVE_MS)).toBe("message");
  });

  it("counts a history entry as backlog however fresh", () => {
    expect(priorityOf({ ...fresh, history: true }, message, NOW, LIVE_MS)).toBe("backlog");
  });
});
