// The process: read the configuration, start one worker, drain on SIGTERM or SIGINT within
// SHUTDOWN_TIMEOUT_MS, then exit 0, or 1 naming what the drain could not finish.
import { ConfigError, helpText, loadConfig } from "@fedmuc/config";
import { createLogger } from "@fedmuc/telemetry";
import { startTracing } from "@fedmuc/telemetry/sdk";
import { portOf } from "./http.js";
import { shutDownWithin } from "./shutdown.js";
import { startWorker } from "./worker.js";

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`Usage: npm start\n\n${helpText()}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nRun with --help for every variable.\n`);
    return 2;
  }

  const log = createLogger(config.LOG_LEVEL);
  const stopTracing = startTracing(
    config.OTEL_TRACES_EXPORTER,
    "fedmuc",
    config.OTEL_EXPORTER_OTLP_PROTOCOL,
  );
  const worker = await startWorker(config, log);
  log.info({ domain: config.XMPP_COMPONENT_DOMAIN, httpPort: portOf(worker.http) }, "started");

  // A signal sent to the process group as well as to a parent that forwards it (npm) arrives
  // twice: the drain has begun, so the second changes nothing (it must not kill the drain).
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const name of ["SIGTERM", "SIGINT"] as const) {
      process.on(name, () => {
        resolve(name);
        log.info({ signal: name }, "draining");
      });
    }
  });
  const report = await shutDownWithin(
    [...worker.shutdownSteps(), { name: "flush the trace spans", run: stopTracing }],
    config.SHUTDOWN_TIMEOUT_MS,
  );
  if (report.unfinished.length === 0) {
    log.info({ signal, elapsedMs: report.elapsedMs }, "stopped");
    return 0;
  }
  log.error(
    { signal, elapsedMs: report.elapsedMs, unfinished: report.unfinished },
    `stopped without finishing: ${report.unfinished.map((u) => `${u.step} (${u.why})`).join("; ")}`,
  );
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // As a log line (JSON, pino's fields), like everything else the process writes once running.
    const fatal = { level: 60, time: Date.now(), pid: process.pid, name: "fedmuc" };
    const message = (err as Error).stack ?? String(err);
    process.stdout.write(`${JSON.stringify({ ...fatal, msg: `fatal: ${message}` })}\n`);
    process.exit(1);
  },
);
