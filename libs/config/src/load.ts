// Reads the configuration from the environment, reporting every bad or missing variable at once.
import { RULES } from "./rules.js";
import { VARIABLES, type Config, type VariableName } from "./variables.js";

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(VARIABLES) as [
    VariableName,
    (typeof VARIABLES)[VariableName],
  ][]) {
    const given = env[name];
    const text =
      given === undefined || given === "" ? ("default" in v ? v.default : undefined) : given;
    if (text === undefined) {
      problems.push(`${name} is required: ${v.help}`);
      continue;
    }
    try {
      config[name] = v.parse(text);
    } catch (err) {
      problems.push(`${name} ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const combined = RULES.map((rule) => rule(config as Config)).filter((p) => p !== null);
  if (combined.length > 0) throw new ConfigError(combined);
  return config as Config;
}

/** The --help text: every variable, its default and what it is for. */
export function helpText(): string {
  const rows = Object.entries(VARIABLES).map(([name, v]) => {
    const dflt = !("default" in v)
      ? "required"
      : v.default === ""
        ? "optional"
        : `default ${v.default}`;
    return `  ${name.padEnd(24)} ${v.help} (${dflt})`;
  });
  return ["Configuration comes from these environment variables:", ...rows].join("\n");
}
