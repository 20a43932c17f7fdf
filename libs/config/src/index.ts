export { loadConfig, helpText, ConfigError } from "./load.js";
export { VARIABLES, LOG_LEVELS, type Config, type VariableName } from "./variables.js";
export { redisDatabase, type HostPort } from "./parsers.js";
