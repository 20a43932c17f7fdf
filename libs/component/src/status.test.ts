import { describe, expect, it } from "vitest";
import { ConflictError, HostUnknownError } from "./errors.js";
import { retryReport } from "./status.js";

describe("retryReport", () => {
  it("tells conflicts, configuration errors and plain losses apart", () => {
    const conflict = retryReport({
      attempt: 1,
      delayMs: 5_000,
      kind: "conflict",
      error: new ConflictError("d"),
    });
    expect(conflict).toMatchObject({ status: "conflict", level: "error" });
    const config = retryReport({
      attempt: 1,
      delayMs: 20_000,
      kind: "config",
      error: new HostUnknownError("d"),
    });
    expect(config).toMatchObject({ status: "rejected", level: "error" });
    expect(config.message).toContain("XMPP_COMPONENT_DOMAIN");
    const loss = retryReport({ attempt: 3, delayMs: 900, kind: "transient" });
    expect(loss).toMatchObject({ status: "waiting", level: "warn" });
  });
});
