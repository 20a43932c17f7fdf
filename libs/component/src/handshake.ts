// XEP-0114 §3: the component proves the shared secret with
// <handshake>hex(SHA-1(stream id + secret))</handshake>. Prosody hashes the UTF-8 bytes of the
// secret; xmpp.js 0.13 hashes them as "binary" (Latin-1), which breaks non-ASCII secrets.
import { createHash } from "node:crypto";

export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1")
    .update(streamId + secret, "utf8")
    .digest("hex");
}
