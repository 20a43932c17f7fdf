// @xmpp/client 0.14 decodes each TCP read on its own, so a code point split between two reads
// becomes U+FFFD (the defect libs/component fixes for the service). The test clients decode per
// socket instead, so that suites check the service and not the client library.
import { StringDecoder } from "node:string_decoder";

interface ClientConnection {
  socket: object | null;
  parser: { write(text: string): void } | null;
  _onData(data: Buffer): void;
}

let patched: Promise<void> | undefined;

export function decodeClientReadsPerSocket(): Promise<void> {
  return (patched ??= (async () => {
    const name: string = "@xmpp/connection"; // untyped; the one @xmpp/client uses
    const { default: Connection } = (await import(name)) as {
      default: { prototype: ClientConnection };
    };
    const decoders = new WeakMap<object, StringDecoder>();
    Connection.prototype._onData = function (this: ClientConnection, data: Buffer) {
      if (!this.socket) return;
      let decoder = decoders.get(this.socket);
      if (!decoder) decoders.set(this.socket, (decoder = new StringDecoder("utf8")));
      this.parser?.write(decoder.write(data));
    };
  })());
}
