// UTF-8 decoding of one TCP byte stream (RFC 6120 §11.6: XML streams are UTF-8). A code point
// split across two reads must be joined, not turned into U+FFFD twice: StringDecoder keeps the
// trailing partial bytes until the next chunk. One decoder per socket, never shared.
import { StringDecoder } from "node:string_decoder";

export class Utf8Decoder {
  #decoder = new StringDecoder("utf8");

  /** The text completed by this chunk; a trailing partial code point waits for the next one. */
  write(chunk: Buffer): string {
    return this.#decoder.write(chunk);
  }

  /** Forgets a partial code point, for a new socket. */
  reset(): void {
    this.#decoder = new StringDecoder("utf8");
  }
}
