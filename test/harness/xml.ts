// XML elements as @xmpp/xml (ltx) builds and parses them, with the types that package lacks.
import { createRequire } from "node:module";

/** The part of ltx's Element the tests use. */
export interface Element {
  name: string;
  attrs: Record<string, string | undefined>;
  children: Array<Element | string>;
  parent: Element | null;
  is(name: string, xmlns?: string): boolean;
  getName(): string;
  getNS(): string | undefined;
  getAttr(name: string, xmlns?: string): string | undefined;
  getChild(name: string, xmlns?: string): Element | undefined;
  getChildren(name: string, xmlns?: string): Element[];
  getChildElements(): Element[];
  getChildText(name: string, xmlns?: string): string | null;
  getText(): string;
  text(): string;
  c(name: string, attrs?: Record<string, string | undefined>): Element;
  t(text: string): Element;
  up(): Element;
  root(): Element;
  append(...nodes: Array<Element | string>): void;
  toString(): string;
}

export type XmlChild = Element | string | number | null | undefined | false | XmlChild[];

/** xml(name, attrs, ...children) builds an Element (the @xmpp/xml factory). */
export type XmlFactory = (
  name: string,
  attrs?: Record<string, string | number | undefined> | null,
  ...children: XmlChild[]
) => Element;

// @xmpp/xml 0.13 is CommonJS and ships no types.
const require = createRequire(import.meta.url);
export const xml = require("@xmpp/xml") as XmlFactory;
