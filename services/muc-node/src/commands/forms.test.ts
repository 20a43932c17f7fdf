// The operator's commands' forms: what each asks, the submitted values read into a request (the
// list's as the /links page reads its parameters), bad values refused with bad-payload naming
// the field, and the list's result as a XEP-0004 table.
import { describe, expect, it } from "vitest";
import { StanzaError, parse, type Element } from "@fedmuc/xmpp";
import { COMMANDS, commandForm, commandOf, linksResult, readRequest } from "./forms.js";

const submit = (fields: Record<string, string | string[]>): Element =>
  parse(
    `<x xmlns="jabber:x:data" type="submit">${Object.entries(fields)
      .map(
        ([name, v]) =>
          `<field var="${name}">${[v]
            .flat()
            .map((x) => `<value>${x}</value>`)
            .join("")}</field>`,
      )
      .join("")}</x>`,
  );
const vars = (form: Element) => form.getChildren("field").map((f) => f.attrs.var);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof StanzaError && err.app?.name === "bad-payload") return err.message;
    throw err;
  }
  throw new Error("not refused");
}

describe("the operator's command forms", () => {
  it("each command has a node of its own, and a form asking what it needs", () => {
    expect(commandOf(COMMANDS.detach.node)).toBe("detach");
    expect(commandOf("urn:other")).toBeUndefined();
    expect(vars(commandForm("links", []))).toEqual([
      "FORM_TYPE",
      "peer",
      "state",
      "limit",
      "after",
    ]);
    expect(vars(commandForm("resync", []))).toEqual(["FORM_TYPE", "peer"]);
    const attach = commandForm("attach", ["talk.a.example"]).getChildren("field")[1]!;
    expect(attach.attrs.type).toBe("list-single");
    expect(attach.getChildren("option").map((o) => o.getChildText("value"))).toEqual([
      "talk.a.example",
    ]);
  });

  it("the list: a peer service or a room, a state, a page", () => {
    expect(readRequest("links", submit({ peer: "talk.a.example", state: "down" }))).toEqual({
      command: "links",
      query: { peerService: "talk.a.example", state: "down", limit: 500 },
    });
    expect(
      readRequest("links", submit({ peer: "r1@talk.a.example", state: "any", limit: "10" })),
    ).toEqual({ command: "links", query: { room: "r1@talk.a.example", limit: 10 } });
    expect(readRequest("links", submit({}))).toEqual({ command: "links", query: { limit: 500 } });
  });

  it("resync names a service or a room; detach and attach a service", () => {
    expect(readRequest("resync", submit({ peer: "Talk.A.example" }))).toEqual({
      command: "resync",
      target: { service: "talk.a.example" },
    });
    expect(readRequest("resync", submit({ peer: "r1@talk.a.example" }))).toEqual({
      command: "resync",
      target: { room: "r1@talk.a.example" },
    });
    expect(readRequest("detach", submit({ service: "talk.a.example" }))).toEqual({
      command: "detach",
      service: "talk.a.example",
    });
  });

  it("refuses a value it cannot take, naming the field", () => {
    expect(refusal(() => readRequest("links", submit({ state: "asleep" })))).toMatch(
      /^Field state must be one of joining, up, down, resyncing/,
    );
    expect(refusal(() => readRequest("links", submit({ limit: "0" })))).toMatch(/^Field limit/);
    expect(refusal(() => readRequest("resync", submit({})))).toBe("Field peer is required");
    expect(refusal(() => readRequest("resync", submit({ peer: "a b" })))).toMatch(/^Field peer/);
    expect(refusal(() => readRequest("resync", submit({ peer: "r@s.example/nick" })))).toMatch(
      /bare address/,
    );
    expect(refusal(() => readRequest("detach", submit({ service: "r@s.example" })))).toMatch(
      /^Field service: a service's domain/,
    );
    expect(refusal(() => readRequest("detach", submit({ service: ["a", "b"] })))).toBe(
      "Field service takes one value",
    );
  });

  it("the list's result: one item per link with its backlog, and where the next page starts", () => {
    const link = {
      room: "r1@rooms.hub",
      peer: "r1@talk.a",
      state: "up",
      backlog: 3,
      backlogBytes: 90,
    };
    const form = linksResult([link], "r1@rooms.hub r1@talk.a");
    expect(form.attrs.type).toBe("result");
    expect(
      form
        .getChild("reported")!
        .getChildren("field")
        .map((f) => f.attrs.var),
    ).toEqual(["room", "peer", "state", "backlog"]);
    const item = form.getChildren("item")[0]!;
    expect(item.getChildren("field").map((f) => f.getChildText("value"))).toEqual([
      "r1@rooms.hub",
      "r1@talk.a",
      "up",
      "3",
    ]);
    expect(vars(form)).toEqual(["FORM_TYPE", "next"]);
    expect(vars(linksResult([link], null))).toEqual(["FORM_TYPE"]);
  });
});
