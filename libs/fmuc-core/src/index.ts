export * from "./allow-list.js";
export * from "./payload.js";
