// XEP-0289's wire format and this service's elements for it (README.md); the rules that use them
// are in libs/muc-core/src/federation.
export * from "./account.js";
export * from "./allow-list.js";
export * from "./payload.js";
export * from "./peer-rates.js";
export * from "./strip.js";
export * from "./session.js";
export * from "./trace.js";
