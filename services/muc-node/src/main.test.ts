// The process's command line: --help, and a clear message naming each bad variable.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", MAIN, ...args],
    {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("npm start", () => {
  it("prints every variable with --help and exits 0", () => {
    const { code, out } = run(["--help"], {});
    expect(code).toBe(0);
    for (const name of [
      "XMPP_COMPONENT_URL",
      "XMPP_COMPONENT_DOMAIN",
      "XMPP_COMPONENT_SECRET",
      "REDIS_URL",
      "HTTP_PORT",
      "LOG_LEVEL",
    ]) {
      expect(out).toContain(name);
    }
  });

  it("exits non-zero naming each bad or missing variable", () => {
    const { code, err } = run([], { XMPP_COMPONENT_URL: "http://nope", LOG_LEVEL: "loud" });
    expect(code).toBe(2);
    expect(err).toContain("XMPP_COMPONENT_URL must start with xmpp://");
    expect(err).toContain("XMPP_COMPONENT_DOMAIN is required");
    expect(err).toContain("XMPP_COMPONENT_SECRET is required");
    expect(err).toContain("LOG_LEVEL must be one of");
  });
});
