// The process: read the configuration, start one worker, drain on SIGTERM or SIGINT.
import { ConfigError, helpText, loadConfig } from "@fedmuc/config";
import { createLogger, startTracing } from "@fedmuc/telemetry";
import { portOf } from "./http.js";
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
  const stopTracing = startTracing(config.OTEL_TRACES_EXPORTER, "fedmuc");
  const worker = await startWorker(config, log);
  log.info({ domain: config.XMPP_COMPONENT_DOMAIN, httpPort: portOf(worker.http) }, "started");

  await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  }).then((signal) => log.info({ signal }, "draining"));
  await worker.drain();
  await stopTracing();
  log.info("stopped");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
