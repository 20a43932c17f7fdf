// @xmpp/component 0.13 is CommonJS without types. This is the part of its Component (and
// of @xmpp/connection 0.13 underneath) that entity.ts extends, loaded with require so that it
// works the same under tsc, tsx and vitest.
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type { Element } from "@fedmuc/xmpp";

/** xmpp.js statuses along the stream's life (RFC 6120 §4). */
export type CoreStatus =
  | "offline"
  | "connecting"
  | "connect"
  | "opening"
  | "open"
  | "online"
  | "closing"
  | "close"
  | "disconnecting"
  | "disconnect";

export interface CoreOptions {
  readonly service: string;
  readonly domain: string;
}

export interface CoreComponent extends EventEmitter {
  status: CoreStatus;
  socket: Socket | null;
  parser: { write(text: string): void } | null;
  /** Milliseconds xmpp.js waits for open, handshake reply, close and disconnect. */
  timeout: number;
  readonly options: CoreOptions;
  connect(service: string): Promise<void>;
  open(options: { domain: string }): Promise<Element>;
  close(timeout?: number): Promise<Element | undefined>;
  disconnect(timeout?: number): Promise<void>;
  sendReceive(el: Element, timeout?: number): Promise<Element>;
  _attachSocket(socket: Socket): void;
  _onData(data: Buffer): void;
  _onStreamError(el: Element): void;
  _end(): Promise<unknown>;
  _jid(id: string): unknown;
  _status(status: CoreStatus, ...args: unknown[]): void;
}

// The Component class that @xmpp/component itself builds on: its factory adds a fixed 1 s
// reconnect loop, which supervisor.ts replaces, so the class is taken from its own dependency.
const fromComponent = createRequire(createRequire(import.meta.url).resolve("@xmpp/component"));

export const CoreComponent = (
  fromComponent("@xmpp/component-core") as { Component: new (o: CoreOptions) => CoreComponent }
).Component;
