import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { handshakeDigest } from "./handshake.js";

const sha1 = (data: Buffer): string => createHash("sha1").update(data).digest("hex");

describe("handshakeDigest (XEP-0114 §3)", () => {
  it("is the hex SHA-1 of stream id + secret", () => {
    expect(handshakeDigest("3BF96D32", "s3cr3t")).toBe(sha1(Buffer.from("3BF96D32s3cr3t")));
    expect(handshakeDigest("id", "secret")).toMatch(/^[0-9a-f]{40}$/);
  });

  it("hashes a non-ASCII secret as UTF-8, as Prosody does (xmpp.js 0.13 used Latin-1)", () => {
    const utf8 = sha1(Buffer.from("idгеслоπ", "utf8"));
    const latin1 = sha1(Buffer.from("idгеслоπ", "latin1"));
    expect(handshakeDigest("id", "геслоπ")).toBe(utf8);
    expect(utf8).not.toBe(latin1);
  });
});
