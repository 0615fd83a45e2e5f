/**
 * Connection URLs of backing stores (Redis, PostgreSQL) carry credentials; these helpers keep them out of every error
 * message and log line, for the session store, rate limits, consumers and the audit sink alike.
 */

/** `url` with its password replaced by `***` (the user name stays, to tell accounts apart); unparseable: not shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    // An unparseable URL may still hold a password (an unencoded "/" in it): show nothing of it.
    return "<invalid URL>";
  }
}

/** `message` with every form of the URL's password (raw and percent-decoded) replaced by `***`. */
export function scrubPassword(message: string, url: string): string {
  let password = "";
  try {
    password = new URL(url).password;
  } catch {
    return message.split(url).join("<invalid URL>");
  }
  if (password === "") return message;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // Not valid percent-encoding: only the raw form can appear.
  }
  return message.split(password).join("***").split(decoded).join("***");
}

/** The message of anything thrown, read structurally (errors from another realm are not `instanceof Error`). */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") return error.errors.map(describeError).join("; ");
  if (typeof error === "object" && error !== null && "message" in error && error.message !== "") {
    return String(error.message);
  }
  if (typeof error === "object" && error !== null && "code" in error) return String(error.code);
  return String(error);
}

/**
 * The message of anything thrown followed by its causes (`fetch failed: connect ECONNREFUSED 10.0.0.7:8080`), for
 * operators (logs, /status), never for clients: a wrapper's message alone ("fetch failed") hides what went wrong. A
 * cause whose message the text already contains adds nothing; at most `depth` causes are followed.
 */
export function describeErrorChain(error: unknown, depth = 4): string {
  let text = describeError(error);
  let cause = (error as { cause?: unknown } | null)?.cause;
  for (let i = 0; i < depth && cause !== undefined && cause !== null; i++) {
    const next = describeError(cause);
    if (!text.includes(next)) text += `: ${next}`;
    cause = typeof cause === "object" ? (cause as { cause?: unknown }).cause : undefined;
  }
  return text;
}

/**
 * A failure to reach a store, naming the redacted URL and the scrubbed cause. The driver's error is not kept as
 * `cause`: it can carry the URL, credentials included.
 */
export function connectionError(what: string, url: string, cause: unknown): Error {
  return new Error(`${what} at ${redactUrl(url)}: ${scrubPassword(describeError(cause), url)}`);
}
