// XML elements: @xmpp/xml (ltx). It is CommonJS without types; xml-types.ts describes it.
import { createRequire } from "node:module";
import type { Element, XmlFactory } from "./xml-types.js";

export type { Attrs, Element, Node, Parser } from "./xml-types.js";

const require = createRequire(import.meta.url);
export const xml = require("@xmpp/xml") as XmlFactory;
const parseXml = require("ltx/lib/parse.js") as (text: string) => Element;
const cloneXml = require("ltx/lib/clone.js") as (el: Element) => Element;

/** Parses one XML document (tests, stored stanzas). Throws on malformed input. */
export function parse(text: string): Element {
  return parseXml(text);
}

/** A deep copy, free of its parent, to append elsewhere. */
export function clone(el: Element): Element {
  return cloneXml(el);
}

/** The text of an element's first child `name` in `xmlns`, or undefined. */
export function childText(el: Element, name: string, xmlns?: string): string | undefined {
  return el.getChild(name, xmlns)?.getText();
}
