// XEP-0004 data forms: reading submitted values and building forms.
import { xml, type Element } from "./element.js";
import { StanzaError } from "./stanza-error.js";

export const NS_DATA = "jabber:x:data";

export type FieldType =
  | "boolean"
  | "fixed"
  | "hidden"
  | "jid-multi"
  | "jid-single"
  | "list-multi"
  | "list-single"
  | "text-multi"
  | "text-private"
  | "text-single";

export interface Field {
  readonly var: string;
  readonly type: FieldType;
  readonly label?: string;
  readonly values: readonly string[];
  readonly options?: readonly { label: string; value: string }[];
}

/** The submitted values of a form by field name. */
export type Values = ReadonlyMap<string, readonly string[]>;

export function formValues(form: Element): Values {
  return new Map(
    form
      .getChildren("field")
      .filter((f) => f.attrs.var)
      .map((f) => [f.attrs.var!, f.getChildren("value").map((v) => v.getText())]),
  );
}

/** XEP-0004 section 3.3: "0"/"false" and "1"/"true". */
export function parseBoolean(name: string, value: string): boolean {
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new StanzaError("bad-request", `Field ${name} must be a boolean, not "${value}"`);
}

/** XEP-0004 section 3.4: a result of several items, each with the `reported` fields' values
 * (by field name), after the plain `fields`. */
export function reportedForm(
  formType: string,
  title: string,
  fields: readonly Field[],
  reported: readonly Omit<Field, "values">[],
  items: readonly Readonly<Record<string, string>>[],
): Element {
  const form = formElement("result", formType, fields, title);
  form.append(
    xml(
      "reported",
      {},
      ...reported.map((f) => xml("field", { var: f.var, type: f.type, label: f.label })),
    ),
  );
  for (const item of items) {
    form.append(
      xml(
        "item",
        {},
        ...reported.map((f) => xml("field", { var: f.var }, xml("value", {}, item[f.var] ?? ""))),
      ),
    );
  }
  return form;
}

export function formElement(
  type: "form" | "result",
  formType: string,
  fields: readonly Field[],
  title?: string,
) {
  return xml(
    "x",
    { xmlns: NS_DATA, type },
    title === undefined ? undefined : xml("title", {}, title),
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, formType)),
    ...fields.map((f) =>
      xml(
        "field",
        { var: f.var, type: f.type, label: f.label },
        ...(f.options ?? []).map((o) =>
          xml("option", { label: o.label }, xml("value", {}, o.value)),
        ),
        ...f.values.map((v) => xml("value", {}, v)),
      ),
    ),
  );
}
