// Structured JSON logs (pino). One root logger per process; modules take children of it.
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export function createLogger(level: LevelWithSilent, name = "fedmuc"): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
