import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ResourceSubscriptions } from "./resource-subscriptions";

/** One client session of a shared stdio server, as the multiplexer sees it. */
export interface MuxSession {
  readonly id: string;
  /** Delivers a message to the session; `relatedRequestId` names the session's own request it belongs to. */
  send(message: JSONRPCMessage, relatedRequestId?: RequestId): void;
}

/** A session's request the server has not answered yet, under the id the server knows it by. */
interface InFlight {
  session: string;
  id: RequestId;
  token?: string | number;
}

type Message = Record<string, unknown>;

/** JSON-RPC -32603: what a session's pending requests get when the process behind them exits. */
const INTERNAL_ERROR = -32603;
/** JSON-RPC -32601: what a shared process gets when it asks a client something (no client may answer for another). */
const METHOD_NOT_FOUND = -32601;

const asMessage = (value: Message): JSONRPCMessage => value as unknown as JSONRPCMessage;
const isRequestId = (value: unknown): value is RequestId => typeof value === "string" || typeof value === "number";
const paramsOf = (message: Message): Message | undefined =>
  typeof message["params"] === "object" && message["params"] !== null ? (message["params"] as Message) : undefined;

/**
 * Many client sessions over one stdio JSON-RPC session. Each session's request gets a fresh numeric id on the server
 * side (two sessions both sending id 1 must not collide) and its reply goes back under the session's own id; progress
 * tokens are renamed the same way, and a session's cancellation names the server-side id.
 *
 * With one session (`shared: false`, a perSession process) everything else passes through: server requests
 * (sampling, elicitation, roots) go to that session, which alone may answer them, and so do all server notifications.
 * With `shared: true` nothing one consumer sees or decides may come from or reach another: the multiplexer refuses
 * every server request itself (the server cannot tell which session it works for, and a guess hands one consumer's
 * elicitation to another), drops `notifications/message` (log lines quote the arguments and results of whichever
 * session's call they are about; they cannot be attributed, so none is delivered), sends list changes to every
 * session and a resource update only to the sessions subscribed to it, keeps subscriptions per session, and answers
 * `logging/setLevel` itself (one session must not change the level of the process everyone shares).
 * No I/O: the caller wires `toServer` and each session's `send`.
 */
export class StdioMultiplexer {
  private readonly sessions = new Map<string, MuxSession>();
  private readonly inFlight = new Map<number, InFlight>();
  /** Renamed progress token → the server-side request id it belongs to. */
  private readonly progress = new Map<string, number>();
  /** Server request id (as JSON) → the session asked to answer it. */
  private readonly serverRequests = new Map<string, string>();
  private readonly subscriptions = new ResourceSubscriptions();
  private nextId = 1;

  constructor(
    private readonly toServer: (message: JSONRPCMessage) => void,
    private readonly shared = false,
  ) {}

  /** Sessions attached now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts routing to and from a session. */
  attach(session: MuxSession): void {
    this.sessions.set(session.id, session);
  }

  /** Stops routing to a session; the server is told to cancel what it was still doing for it. */
  detach(sessionId: string): void {
    if (!this.sessions.delete(sessionId)) return;
    for (const [serverId, entry] of this.inFlight) {
      if (entry.session !== sessionId) continue;
      this.forget(serverId, entry);
      this.toServer(cancelled(serverId, "the client session ended"));
    }
    for (const [key, owner] of this.serverRequests) if (owner === sessionId) this.serverRequests.delete(key);
    for (const uri of this.subscriptions.removeSession(sessionId)) this.unsubscribeServer(uri);
  }

  /** Routes a message a session sent (its initialize and initialized are the caller's business, not passed here). */
  fromSession(sessionId: string, message: JSONRPCMessage): void {
    const raw = message as Message;
    if (!this.sessions.has(sessionId)) return;
    if (typeof raw["method"] === "string" && isRequestId(raw["id"])) {
      if (this.shared && this.answeredLocally(sessionId, raw)) return;
      return this.requestFromSession(sessionId, raw);
    }
    if (typeof raw["method"] === "string") return this.notificationFromSession(sessionId, raw);
    if (!isRequestId(raw["id"])) return;
    // An answer to a server request: only from the session it was put to.
    const key = JSON.stringify(raw["id"]);
    if (this.serverRequests.get(key) !== sessionId) return;
    this.serverRequests.delete(key);
    this.toServer(message);
  }

  /** Routes a message the server sent. */
  fromServer(message: JSONRPCMessage): void {
    const raw = message as Message;
    const method = raw["method"];
    if (typeof method !== "string") return this.replyFromServer(raw);
    if (isRequestId(raw["id"])) return this.requestFromServer(raw);
    if (method === "notifications/progress") return this.progressFromServer(raw);
    if (method === "notifications/cancelled") {
      const key = JSON.stringify(paramsOf(raw)?.["requestId"]);
      const owner = this.sessions.get(this.serverRequests.get(key) ?? "");
      this.serverRequests.delete(key);
      return owner?.send(message);
    }
    if (this.shared) return this.sharedNotification(raw);
    for (const session of this.sessions.values()) session.send(message);
  }

  /** Delivers a reply the caller made itself (a refusal) to an attached session. */
  replyTo(sessionId: string, message: JSONRPCMessage, relatedRequestId: RequestId): void {
    this.sessions.get(sessionId)?.send(message, relatedRequestId);
  }

  /** The server went away: every request in flight is answered with an error naming `reason`. */
  serverLost(reason: string): void {
    for (const [serverId, entry] of this.inFlight) {
      this.forget(serverId, entry);
      const error = { code: INTERNAL_ERROR, message: reason };
      this.sessions.get(entry.session)?.send({ jsonrpc: "2.0", id: entry.id, error }, entry.id);
    }
    this.serverRequests.clear();
  }

  private requestFromSession(sessionId: string, raw: Message): void {
    const serverId = this.nextId++;
    const entry: InFlight = { session: sessionId, id: raw["id"] as RequestId };
    const params = paramsOf(raw);
    const meta = params?.["_meta"];
    let out = raw;
    if (typeof meta === "object" && meta !== null && isRequestId((meta as Message)["progressToken"])) {
      entry.token = (meta as Message)["progressToken"] as RequestId;
      this.progress.set(`p${String(serverId)}`, serverId);
      out = { ...raw, params: { ...params, _meta: { ...meta, progressToken: `p${String(serverId)}` } } };
    }
    this.inFlight.set(serverId, entry);
    this.toServer(asMessage({ ...out, id: serverId }));
  }

  private notificationFromSession(sessionId: string, raw: Message): void {
    // A shared process was told of no client capability (roots): a session's other notifications concern nobody there.
    if (raw["method"] !== "notifications/cancelled") return this.shared ? undefined : this.toServer(asMessage(raw));
    const params = paramsOf(raw);
    for (const [serverId, entry] of this.inFlight) {
      if (entry.session !== sessionId || entry.id !== params?.["requestId"]) continue;
      this.forget(serverId, entry);
      return this.toServer(asMessage({ ...raw, params: { ...params, requestId: serverId } }));
    }
  }

  private replyFromServer(raw: Message): void {
    const serverId = raw["id"];
    const entry = typeof serverId === "number" ? this.inFlight.get(serverId) : undefined;
    if (!entry || typeof serverId !== "number") return;
    this.forget(serverId, entry);
    this.sessions.get(entry.session)?.send(asMessage({ ...raw, id: entry.id }), entry.id);
  }

  private requestFromServer(raw: Message): void {
    if (this.shared) {
      const message = `a shared stdio server cannot ask a client (${String(raw["method"])}): several sessions share the process and none may answer for another; run the server with stdio.instances: perSession`;
      return this.toServer({ jsonrpc: "2.0", id: raw["id"] as RequestId, error: { code: METHOD_NOT_FOUND, message } });
    }
    // With one session, the most recent request in flight is the likeliest one the server needs an answer for.
    const working = [...this.inFlight.values()].reverse().find((entry) => this.sessions.has(entry.session));
    const target = working ? this.sessions.get(working.session) : [...this.sessions.values()].pop();
    if (!target) {
      const error = { code: INTERNAL_ERROR, message: "no client session to answer this request" };
      return this.toServer({ jsonrpc: "2.0", id: raw["id"] as RequestId, error });
    }
    this.serverRequests.set(JSON.stringify(raw["id"]), target.id);
    target.send(asMessage(raw), working?.id);
  }

  /** A shared process's notification: list changes to all, a resource update to its subscribers, nothing else. */
  private sharedNotification(raw: Message): void {
    const method = String(raw["method"]);
    let targets: Iterable<string> = [];
    if (method.startsWith("notifications/") && method.endsWith("/list_changed")) targets = this.sessions.keys();
    if (method === "notifications/resources/updated") {
      targets = this.subscriptions.subscribers(String(paramsOf(raw)?.["uri"]));
    }
    for (const id of targets) this.sessions.get(id)?.send(asMessage(raw));
  }

  /**
   * A shared process's session request the multiplexer answers itself (true): `logging/setLevel` always, and a
   * resource (un)subscription unless it is the URI's first subscription or last unsubscription (forwarded).
   */
  private answeredLocally(sessionId: string, raw: Message): boolean {
    const method = raw["method"];
    const uri = paramsOf(raw)?.["uri"];
    let local = method === "logging/setLevel";
    if (method === "resources/subscribe" && typeof uri === "string") local = !this.subscriptions.add(uri, sessionId);
    if (method === "resources/unsubscribe" && typeof uri === "string") {
      local = !this.subscriptions.remove(uri, sessionId);
    }
    if (local)
      this.replyTo(sessionId, asMessage({ jsonrpc: "2.0", id: raw["id"], result: {} }), raw["id"] as RequestId);
    return local;
  }

  /** The last session subscribed to `uri` left: the process is unsubscribed (its answer goes to nobody). */
  private unsubscribeServer(uri: string): void {
    this.toServer({ jsonrpc: "2.0", id: this.nextId++, method: "resources/unsubscribe", params: { uri } });
  }

  private progressFromServer(raw: Message): void {
    const params = paramsOf(raw);
    const serverId = this.progress.get(String(params?.["progressToken"]));
    const entry = serverId === undefined ? undefined : this.inFlight.get(serverId);
    if (entry?.token === undefined) return;
    const message = asMessage({ ...raw, params: { ...params, progressToken: entry.token } });
    this.sessions.get(entry.session)?.send(message, entry.id);
  }

  private forget(serverId: number, entry: InFlight): void {
    this.inFlight.delete(serverId);
    if (entry.token !== undefined) this.progress.delete(`p${String(serverId)}`);
  }
}

function cancelled(requestId: number, reason: string): JSONRPCMessage {
  return { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId, reason } };
}
