// The link gauges the alerts read: per peer service, the backlog summed and the down time's maximum.
import { describe, expect, it } from "vitest";
import { createRegistry } from "@fedmuc/telemetry";
import { sample } from "../../../test/harness/metrics.js";
import { publishLinks } from "./metrics.js";

describe("publishLinks", () => {
  it("sums each peer service's backlog and reports its longest-down link", async () => {
    const registry = createRegistry();
    const now = Date.parse("2026-01-01T00:10:00Z");
    publishLinks(
      registry,
      async () => [
        {
          room: "a@hub.lit",
          peer: "a@ship.lit",
          state: "down",
          backlog: 3,
          backlogBytes: 300,
          oldestQueuedAt: now - 80_000,
          downSince: now - 90_000,
        },
        {
          room: "b@hub.lit",
          peer: "b@ship.lit",
          state: "down",
          backlog: 4,
          backlogBytes: 400,
          oldestQueuedAt: now - 20_000,
          downSince: now - 30_000,
        },
        { room: "c@hub.lit", peer: "c@boat.lit/hub", state: "up", backlog: 0, backlogBytes: 0 },
      ],
      () => now,
    );
    const text = await registry.metrics();
    expect(sample(text, 'fedmuc_links{state="down"}')).toBe(2);
    expect(sample(text, 'fedmuc_links{state="up"}')).toBe(1);
    expect(sample(text, 'fedmuc_link_backlog_stanzas{peer_service="ship.lit"}')).toBe(7);
    expect(sample(text, 'fedmuc_link_down_seconds{peer_service="ship.lit"}')).toBe(90);
    expect(sample(text, 'fedmuc_link_backlog_bytes{peer_service="ship.lit"}')).toBe(700);
    expect(sample(text, 'fedmuc_link_backlog_age_seconds{peer_service="ship.lit"}')).toBe(80);
    expect(text).toContain('fedmuc_link_backlog_age_seconds{peer_service="boat.lit"} 0');
    expect(sample(text, 'fedmuc_peer_links{peer_service="ship.lit",state="down"}')).toBe(2);
    expect(text).toContain('fedmuc_link_down_seconds{peer_service="boat.lit"} 0');
  });

  it("forgets a peer service whose links are gone", async () => {
    const registry = createRegistry();
    let links = [
      { room: "a@hub.lit", peer: "a@ship.lit", state: "up", backlog: 1, backlogBytes: 90 },
    ];
    publishLinks(registry, async () => links);
    expect(await registry.metrics()).toContain('peer_service="ship.lit"');
    links = [];
    expect(await registry.metrics()).not.toContain('peer_service="ship.lit"');
  });
});
