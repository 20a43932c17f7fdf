export * from "./logger.js";
export * from "./metrics.js";
export * from "./propagation.js";
export * from "./tracing.js";
