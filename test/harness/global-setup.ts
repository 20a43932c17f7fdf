// vitest globalSetup: fail fast when the local servers the end-to-end tests start are missing.
import { accessSync, constants } from "node:fs";
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
  return () => {};
}
