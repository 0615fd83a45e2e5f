import type { z } from "zod";
import { lookupTable } from "../own-keys";

type RawIssue = z.core.$ZodRawIssue;

/** Renders a path such as `["servers", 1, "url"]` as `servers[1].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

const EXPECTED_TYPES = lookupTable({
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
  map: "a mapping",
});

/** What a value of the YAML tree is, in the file's terms; never the value of a string (it may be a credential). */
export function describeFound(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "an empty value";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (typeof input === "boolean") return String(input);
  return `a ${typeof input}`;
}

/** `expected <what>, found <what the YAML holds>`, or `required: expected <what>` when the field is absent. */
export function expectedFound(expected: string, input: unknown): string {
  return input === undefined ? `required: expected ${expected}` : `expected ${expected}, found ${describeFound(input)}`;
}

function orList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  return unique.length <= 1 ? (unique[0] ?? "") : `${unique.slice(0, -1).join(", ")} or ${unique.at(-1) ?? ""}`;
}

function expectedType(expected: string): string {
  return EXPECTED_TYPES[expected] ?? `a ${expected}`;
}

/** A literal or enum value found: short strings, numbers and booleans are shown (they are never credentials). */
function foundOption(input: unknown): string {
  const shown = typeof input === "string" ? input.length <= 40 : typeof input === "number";
  return shown ? JSON.stringify(input) : describeFound(input);
}

function rangeMessage(issue: RawIssue & { code: "too_small" | "too_big" }): string {
  const small = issue.code === "too_small";
  const bound = String(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  const input = issue.input;
  if (issue.origin === "number" || issue.origin === "int") {
    const relation = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
    return `expected a number ${relation} ${bound}, found ${typeof input === "number" ? String(input) : describeFound(input)}`;
  }
  const unit = issue.origin === "string" ? "characters" : "items";
  const length = typeof input === "string" || Array.isArray(input) ? `, found ${String(input.length)}` : "";
  return `expected ${small ? "at least" : "at most"} ${bound} ${unit}${length}`;
}

/** Root-level expectation of one union branch, or undefined when the branch failed deeper inside the value. */
function branchExpectation(issues: readonly z.core.$ZodIssue[]): string | undefined {
  const [issue] = issues;
  if (issues.length !== 1 || issue === undefined || issue.path.length > 0) return undefined;
  if (issue.code === "invalid_type") return expectedType(issue.expected);
  if (issue.code === "invalid_value") return orList(issue.values.map((value) => JSON.stringify(value)));
  return undefined;
}

function unionMessage(issue: RawIssue & { code: "invalid_union" }): string {
  const expectations = issue.errors.map(branchExpectation);
  if (expectations.every((e) => e !== undefined)) return expectedFound(orList(expectations), issue.input);
  // A branch got further (the value has its shape but a part is wrong): report that branch's findings.
  const deeper = issue.errors[expectations.findIndex((e) => e === undefined)] ?? [];
  return deeper.map((inner) => `${formatPath(inner.path)}: ${inner.message}`).join("; ");
}

/**
 * The config's zod error map: what was expected and what the YAML holds (a list, a mapping, …) instead of zod's
 * generic `Invalid input`. Messages set on a schema win over it; codes it does not know keep zod's message.
 */
export function configIssueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "int" && typeof issue.input === "number"
        ? `expected an integer, found ${String(issue.input)}`
        : expectedFound(expectedType(issue.expected), issue.input);
    case "invalid_value":
      return `expected ${orList(issue.values.map((value) => JSON.stringify(value)))}, found ${foundOption(issue.input)}`;
    case "invalid_union":
      return unionMessage(issue);
    case "too_small":
    case "too_big":
      return rangeMessage(issue);
    case "invalid_key":
    case "invalid_element":
      return issue.issues.map((inner) => inner.message).join("; ");
    default:
      return undefined;
  }
}
