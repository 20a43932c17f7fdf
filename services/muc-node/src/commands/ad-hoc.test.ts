// XEP-0050 as the operator's commands speak it: a request read (4.4), one stage (a form, then the
// outcome of its submission), cancel, and the errors of 4.6 with their specific conditions.
import { describe, expect, it } from "vitest";
import { NS, StanzaError, errorReply, parse, xml } from "@fedmuc/xmpp";
import { canceled, completed, formStage, readCommand, stepOf } from "./ad-hoc.js";

const NODE = "urn:fedmuc:fmuc:0#links";
const iq = (command: string) =>
  parse(
    `<iq type="set" id="c1" from="admin@example.org/laptop" to="rooms.example.org">${command}</iq>`,
  );
const command = (attrs: string, body = "") =>
  iq(`<command xmlns="${NS.commands}" node="${NODE}" ${attrs}>${body}</command>`);
const SUBMIT = `<x xmlns="jabber:x:data" type="submit"/>`;

/** The specific condition an error carries, as its reply shows it. */
function specific(run: () => unknown): [string, string | undefined] {
  try {
    run();
  } catch (err) {
    if (!(err instanceof StanzaError)) throw err;
    const error = errorReply(iq(""), err).getChild("error")!;
    const app = error.getChildElements().find((c) => c.attrs.xmlns === NS.commands);
    return [err.condition, app?.name];
  }
  throw new Error("no error");
}

describe("XEP-0050 requests", () => {
  it("reads node, action (execute when absent), session and form; an iq without a command is none", () => {
    expect(readCommand(iq(""))).toBeUndefined();
    expect(readCommand(command(""))).toEqual({ node: NODE, action: "execute" });
    const submitted = readCommand(command(`action="complete" sessionid="s1"`, SUBMIT))!;
    expect([submitted.action, submitted.sessionid, submitted.form?.attrs.type]).toEqual([
      "complete",
      "s1",
      "submit",
    ]);
  });

  it("starts with execute alone; within a session submits the form (complete, or execute, its default) or cancels", () => {
    expect(stepOf(readCommand(command(""))!)).toEqual({ kind: "start" });
    for (const action of ["complete", "execute"]) {
      const step = stepOf(readCommand(command(`action="${action}" sessionid="s1"`, SUBMIT))!);
      expect(step.kind).toBe("submit");
    }
    expect(stepOf(readCommand(command(`action="cancel" sessionid="s1"`))!)).toEqual({
      kind: "cancel",
      sessionid: "s1",
    });
  });

  it("refuses what section 4.6 names, with the general and the specific condition", () => {
    const step =
      (attrs: string, body = "") =>
      () =>
        stepOf(readCommand(command(attrs, body))!);
    expect(specific(() => readCommand(command(`action="run"`)))).toEqual([
      "bad-request",
      "malformed-action",
    ]);
    expect(specific(step(`action="next" sessionid="s1"`, SUBMIT))).toEqual([
      "bad-request",
      "bad-action",
    ]);
    expect(specific(step(`action="complete"`, SUBMIT))).toEqual(["bad-request", "bad-sessionid"]);
    expect(specific(step(`action="complete" sessionid="s1"`))).toEqual([
      "bad-request",
      "bad-payload",
    ]);
    const form = `<x xmlns="jabber:x:data" type="form"/>`;
    expect(specific(step(`action="complete" sessionid="s1"`, form))).toEqual([
      "bad-request",
      "bad-payload",
    ]);
    const noNode = iq(`<command xmlns="${NS.commands}"/>`);
    expect(specific(() => readCommand(noNode))).toEqual(["bad-request", "bad-payload"]);
  });
});

describe("XEP-0050 responses", () => {
  const request = command("");
  it("the stage: executing, its session, complete as the one action, the form", () => {
    const form = xml("x", { xmlns: "jabber:x:data", type: "form" });
    const res = formStage(request, NODE, "s1", form);
    expect(res.attrs).toMatchObject({
      type: "result",
      id: "c1",
      to: "admin@example.org/laptop",
      from: "rooms.example.org",
    });
    const cmd = res.getChild("command", NS.commands)!;
    expect(cmd.attrs).toMatchObject({ node: NODE, sessionid: "s1", status: "executing" });
    const actions = cmd.getChild("actions")!;
    expect(actions.attrs.execute).toBe("complete");
    expect(actions.getChildElements().map((a) => a.name)).toEqual(["complete"]);
    expect(cmd.getChild("x", "jabber:x:data")).toBe(form);
  });

  it("completed with a note (and a result form), or canceled", () => {
    const done = completed(request, NODE, "s1", { type: "info", text: "3 links" });
    const cmd = done.getChild("command", NS.commands)!;
    expect(cmd.attrs.status).toBe("completed");
    expect(cmd.getChild("note")!.attrs.type).toBe("info");
    expect(cmd.getChildText("note")).toBe("3 links");
    expect(canceled(request, NODE, "s1").getChild("command")!.attrs.status).toBe("canceled");
  });
});
