import { errorMessage } from "./error-fields";

/** The URL with its password replaced by `***`, safe for messages and logs (unparseable input is hidden entirely). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
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
  if (!password) return message;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // Not valid percent-encoding: only the raw form can appear.
  }
  return message.split(password).join("***").split(decoded).join("***");
}

/** An error for a store that could not be opened, naming the redacted URL and the scrubbed cause. */
export function storeConnectError(kind: string, url: string, cause: unknown): Error {
  const reason = errorMessage(cause);
  return new Error(`cannot open ${kind} consumer store at ${redactUrl(url)}: ${scrubPassword(reason, url)}`);
}
