// Types of @xmpp/xml 0.13 (ltx elements), which ships none: only what this project uses.

export type Node = Element | string;
export type Attrs = Record<string, string | number | undefined>;
export interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
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
  text(value?: string): string;
  attr(name: string, value?: string): string | undefined;
  append(...nodes: Node[]): void;
  cnode(child: Element): Element;
  c(name: string, attrs?: Attrs): Element;
  t(text: string): this;
  up(): Element;
  root(): Element;
  remove(el: Element | string, xmlns?: string): this;
  toString(): string;
}
export interface Parser {
  write(data: string): void;
  end(data?: string): void;
  on(event: "element", listener: (el: Element) => void): this;
  on(event: "start", listener: (el: Element) => void): this;
  on(event: "end", listener: (el: Element) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
}
export interface XmlFactory {
  (name: string, attrs?: Attrs | null, ...children: (Node | Node[] | null | undefined)[]): Element;
  Element: new (name: string, attrs?: Attrs) => Element;
  Parser: new () => Parser;
  escapeXML(text: string): string;
  escapeXMLText(text: string): string;
}
