// Free TCP ports on 127.0.0.1: bind port 0, read what the kernel chose, close.
import { createServer } from "node:net";
import { HarnessError } from "./errors.js";

// Ports already handed out by this process, so two calls never return the same one.
const handedOut = new Set<number>();

function bindZero(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindZero();
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new HarnessError("NO_FREE_PORT", "freePort: no new free port on 127.0.0.1 after 50 tries");
}
