// The operator's HTTP endpoints: /healthz (alive), /readyz (can serve), /metrics (Prometheus),
// /links (the XEP-0289 links and their states).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "@fedmuc/telemetry";

export interface Probes {
  /** Why the worker cannot serve now, or an empty list when it can. */
  readonly notReady: () => Promise<string[]>;
  readonly registry: Registry;
  /** The federation links and their states, for /links. */
  readonly links?: () => Promise<unknown>;
}

export async function startHttp(port: number, probes: Probes): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const route = async () => {
      switch (req.url) {
        case "/healthz":
          return reply(200, "ok\n");
        case "/readyz": {
          const problems = await probes.notReady();
          return problems.length === 0
            ? reply(200, "ready\n")
            : reply(503, `not ready: ${problems.join("; ")}\n`);
        }
        case "/links":
          return reply(
            200,
            `${JSON.stringify((await probes.links?.()) ?? [], null, 2)}\n`,
            "application/json",
          );
        case "/metrics":
          return reply(200, await probes.registry.metrics(), probes.registry.contentType);
        default:
          return reply(404, "not found\n");
      }
    };
    route().catch((err: Error) => reply(500, `${err.message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
