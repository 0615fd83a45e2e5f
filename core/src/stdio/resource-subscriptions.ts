/**
 * Which client sessions of a shared stdio process subscribed to which resource URIs. The process holds one
 * subscription per URI for all of them: it is subscribed when the first session subscribes and unsubscribed when the
 * last one leaves, and its `notifications/resources/updated` goes only to the sessions subscribed to that URI.
 */
export class ResourceSubscriptions {
  private readonly byUri = new Map<string, Set<string>>();

  /** Records a subscription; true when it is the URI's first (the process must be subscribed). */
  add(uri: string, session: string): boolean {
    const subscribers = this.byUri.get(uri);
    if (subscribers) {
      subscribers.add(session);
      return false;
    }
    this.byUri.set(uri, new Set([session]));
    return true;
  }

  /** Drops a subscription; true when it was the URI's last (the process must be unsubscribed). */
  remove(uri: string, session: string): boolean {
    const subscribers = this.byUri.get(uri);
    if (!subscribers?.delete(session) || subscribers.size > 0) return false;
    this.byUri.delete(uri);
    return true;
  }

  /** Drops every subscription of a session; the URIs it was the last subscriber of. */
  removeSession(session: string): string[] {
    return [...this.byUri.keys()].filter((uri) => this.remove(uri, session));
  }

  /** The sessions subscribed to a URI. */
  subscribers(uri: string): ReadonlySet<string> {
    return this.byUri.get(uri) ?? new Set();
  }
}
