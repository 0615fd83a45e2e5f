import { z } from "zod";
import { ConsumerError } from "./consumer-errors";

const text = z.string().min(1);

// Strict, like the config: a misspelt field ("polcy") is a 400 naming it, never silently ignored.
const registerSchema = z.object({ name: text, policy: text }).strict();
const changeSchema = z.object({ policy: text }).strict();
const emptySchema = z.object({}).strict();

/** Body of `POST /consumers`. */
export type RegisterConsumerBody = z.output<typeof registerSchema>;
/** Body of `PATCH /consumers/{name}`: the fields an admin may change. */
export type ChangeConsumerBody = z.output<typeof changeSchema>;

function isObject(body: unknown): body is Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body);
}

/** Parses `body` with `schema`, turning the first problem into a ConsumerError 400 that names the field. */
function parseBody<T>(schema: z.ZodObject & z.ZodType<T>, body: unknown, what: string): T {
  const allowed = Object.keys(schema.shape);
  if (!isObject(body)) throw new ConsumerError(400, `body must be a JSON object ${what}`);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  // An unknown field is named first: `{"polcy": …}` is a typo of policy, not a missing policy.
  const issues = parsed.error.issues;
  const issue = issues.find((candidate) => candidate.code === "unrecognized_keys") ?? issues[0];
  if (issue?.code === "unrecognized_keys") {
    const names = issue.keys.map((key) => JSON.stringify(key)).join(", ");
    const known = allowed.length > 0 ? `; allowed: ${allowed.join(", ")}` : "";
    throw new ConsumerError(400, `unknown field${issue.keys.length > 1 ? "s" : ""} ${names}${known}`, {
      field: issue.keys[0] ?? "",
    });
  }
  const field = String(issue?.path[0] ?? "");
  throw new ConsumerError(400, `${field} is required and must be a non-empty string`, { field });
}

/** The name and policy of a consumer to register; 400 naming the field for anything else. */
export function parseRegisterBody(body: unknown): RegisterConsumerBody {
  return parseBody(registerSchema, body, "with name and policy");
}

/** The fields to change on a consumer (only `policy` today); 400 for unknown fields or an empty change. */
export function parseChangeBody(body: unknown): ChangeConsumerBody {
  if (isObject(body) && Object.keys(body).length === 0) {
    throw new ConsumerError(400, "nothing to change: send the fields to change (allowed: policy)");
  }
  return parseBody(changeSchema, body, "with the fields to change (allowed: policy)");
}

/** Bodies of actions that take none (rotate): absent or `{}`; any field is a 400 naming it. */
export function parseEmptyBody(body: unknown): void {
  if (body === undefined) return;
  parseBody(emptySchema, body, "or no body");
}
