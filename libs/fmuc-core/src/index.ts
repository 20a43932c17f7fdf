export * from "./allow-list.js";
export * from "./payload.js";
export * from "./strip.js";
export * from "./session.js";
export * from "./trace.js";
