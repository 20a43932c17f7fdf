export * from "./element.js";
export * from "./jid.js";
export * from "./ns.js";
export * from "./stanza-error.js";
export * from "./data-form.js";
