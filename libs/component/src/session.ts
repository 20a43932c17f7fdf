// One XEP-0114 session: TCP connect, stream open (RFC 6120 §4.2), handshake (XEP-0114 §3),
// online until the socket closes. Resolves (never rejects) once the socket is gone, with how
// long it was online and the first error seen. A socket that will not close is destroyed.
import type { ComponentEntity } from "./entity.js";
import { ConnectTimeoutError, StreamError } from "./errors.js";
import type { SessionEnd } from "./supervisor.js";

export interface SessionOptions {
  readonly service: string;
  readonly domain: string;
  /** Budget to get online, and to close after an error. */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly onOnline: () => void;
}

export function runSession(entity: ComponentEntity, o: SessionOptions): Promise<SessionEnd> {
  return new Promise((resolve) => {
    let onlineAt: number | undefined;
    let error: Error | undefined;
    let guard: NodeJS.Timeout | undefined;

    const destroy = (): void => {
      // 'close' follows destroy(), and with it xmpp.js's 'disconnect'.
      if (entity.socket) entity.socket.destroy();
      else finish();
    };
    const fail = (err: Error): void => {
      error ??= err;
      // After a stream error xmpp.js closes the stream politely (RFC 6120 §4.9.1.1); anything
      // else before online leaves a half-open stream: drop it.
      if (onlineAt === undefined && !(err instanceof StreamError)) destroy();
      guard ??= setTimeout(destroy, o.timeoutMs);
    };
    const online = (): void => {
      onlineAt = o.now();
      clearTimeout(deadline);
      o.onOnline();
    };
    const finish = (): void => {
      clearTimeout(deadline);
      clearTimeout(guard);
      entity.off("error", fail).off("online", online).off("disconnect", finish);
      resolve({ onlineMs: onlineAt === undefined ? null : o.now() - onlineAt, error });
    };
    const deadline = setTimeout(() => fail(new ConnectTimeoutError(o.timeoutMs)), o.timeoutMs);

    entity.on("error", fail).on("online", online).on("disconnect", finish);
    entity
      .connect(o.service)
      .then(() => entity.open({ domain: o.domain }))
      .catch(fail);
  });
}
