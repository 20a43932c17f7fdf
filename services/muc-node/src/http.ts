// The operator's HTTP endpoints: /healthz (alive), /readyz (can serve), /metrics (Prometheus),
// /links (the XEP-0289 links and their states, filtered and a page at a time: links-page.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "@fedmuc/telemetry";
import type { IndexedLink } from "@fedmuc/room-store";
import { LinksQueryError, pageOfLinks, readLinksQuery } from "./links-page.js";

export interface Probes {
  /** Why the worker cannot serve now, or an empty list when it can. */
  readonly notReady: () => Promise<string[]>;
  readonly registry: Registry;
  /** The federation links and their states, for /links. */
  readonly links?: () => Promise<readonly IndexedLink[]>;
}

export async function startHttp(port: number, probes: Probes): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = async () => {
      switch (url.pathname) {
        case "/healthz":
          return reply(200, "ok\n");
        case "/readyz": {
          const problems = await probes.notReady();
          return problems.length === 0
            ? reply(200, "ready\n")
            : reply(503, `not ready: ${problems.join("; ")}\n`);
        }
        case "/links": {
          const query = readLinksQuery(url.searchParams);
          const page = pageOfLinks((await probes.links?.()) ?? [], query);
          return reply(200, `${JSON.stringify(page, null, 2)}\n`, "application/json");
        }
        case "/metrics":
          return reply(200, await probes.registry.metrics(), probes.registry.contentType);
        default:
          return reply(404, "not found\n");
      }
    };
    route().catch((err: Error) =>
      reply(err instanceof LinksQueryError ? 400 : 500, `${err.message}\n`),
    );
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
