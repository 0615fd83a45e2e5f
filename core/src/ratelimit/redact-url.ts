/** `url` without its user name and password, safe for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    // Unparsable (e.g. an unencoded "/" in the password): drop everything up to the last "@", erring towards hiding.
    return url.replace(/\/\/.*@/, "//");
  }
}
