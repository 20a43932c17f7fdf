// vitest globalSetup: fail fast when the local servers the end-to-end tests start are missing.
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export default function setup(): () => void {
  if (!process.env.REDIS_URL) {
    const missing = ["redis-server", "redis-cli", "prosody"].filter((binary) => !onPath(binary));
    if (missing.length > 0) {
      throw new Error(
        `missing ${missing.join(", ")} on PATH: run infra/scripts/setup.sh (as root) first`,
      );
    }
  }
  // One HOME for the helm and kubectl runs of every test file (test/harness/helm.ts), removed
  // at the end; the test processes inherit the variable.
  const toolHome = mkdtempSync(join(tmpdir(), "fedmuc-tools-"));
  process.env.FEDMUC_TOOL_HOME = toolHome;
  return () => rmSync(toolHome, { recursive: true, force: true });
}
