import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { StdioMultiplexer } from "./stdio-multiplexer";

interface Delivered {
  message: Record<string, unknown>;
  related: RequestId | undefined;
}

function setup(...sessions: string[]) {
  return setupMode(false, sessions);
}

/** A multiplexer of a shared process (several consumers' sessions). */
function shared(...sessions: string[]) {
  return setupMode(true, sessions);
}

function setupMode(isShared: boolean, sessions: string[]) {
  const toServer: Record<string, unknown>[] = [];
  const mux = new StdioMultiplexer((message) => toServer.push(message as Record<string, unknown>), isShared);
  const inbox: Record<string, Delivered[]> = {};
  for (const id of sessions) {
    inbox[id] = [];
    mux.attach({ id, send: (message, related) => inbox[id]?.push({ message: message as never, related }) });
  }
  const fromServer = (message: object): void => mux.fromServer(message as JSONRPCMessage);
  const fromSession = (id: string, message: object): void => mux.fromSession(id, message as JSONRPCMessage);
  return { mux, toServer, inbox, fromServer, fromSession };
}

const call = (id: RequestId, extra: object = {}) => ({ jsonrpc: "2.0", id, method: "tools/call", params: extra });

describe("StdioMultiplexer", () => {
  it("gives colliding session ids distinct server ids and routes each reply back under its own id", () => {
    const { toServer, inbox, fromServer, fromSession } = setup("a", "b");
    fromSession("a", call(1));
    fromSession("b", call(1));
    const [first, second] = toServer.map((message) => message["id"]);
    expect(first).not.toEqual(second);
    fromServer({ jsonrpc: "2.0", id: second, result: { from: "b" } });
    fromServer({ jsonrpc: "2.0", id: first, result: { from: "a" } });
    expect(inbox["a"]).toEqual([{ message: { jsonrpc: "2.0", id: 1, result: { from: "a" } }, related: 1 }]);
    expect(inbox["b"]).toEqual([{ message: { jsonrpc: "2.0", id: 1, result: { from: "b" } }, related: 1 }]);
  });

  it("drops a reply to an id nobody sent, and a second reply to the same id", () => {
    const { toServer, inbox, fromServer, fromSession } = setup("a");
    fromSession("a", call("x"));
    const id = toServer[0]?.["id"];
    fromServer({ jsonrpc: "2.0", id: 999, result: {} });
    fromServer({ jsonrpc: "2.0", id, result: {} });
    fromServer({ jsonrpc: "2.0", id, result: {} });
    expect(inbox["a"]).toHaveLength(1);
  });

  it("renames progress tokens so that each session gets its own progress under its own token", () => {
    const { toServer, inbox, fromServer, fromSession } = setup("a", "b");
    fromSession("a", call(7, { name: "slow", _meta: { progressToken: "t" } }));
    fromSession("b", call(7, { name: "slow", _meta: { progressToken: "t" } }));
    const tokens = toServer.map((m) => (m["params"] as { _meta: { progressToken: string } })._meta.progressToken);
    expect(new Set(tokens).size).toBe(2);
    fromServer({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: tokens[1], progress: 1 } });
    expect(inbox["a"]).toEqual([]);
    expect(inbox["b"]).toEqual([
      {
        message: { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "t", progress: 1 } },
        related: 7,
      },
    ]);
  });

  it("passes a session's cancellation on under the server-side id, and only for the session's own request", () => {
    const { toServer, fromSession } = setup("a", "b");
    fromSession("a", call(1));
    const serverId = toServer[0]?.["id"];
    fromSession("b", { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
    expect(toServer).toHaveLength(1);
    fromSession("a", { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, reason: "r" } });
    expect(toServer[1]).toEqual({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: serverId, reason: "r" },
    });
  });

  it("puts a server request to the session whose call is in flight, and takes the answer from that session only", () => {
    const { toServer, inbox, fromServer, fromSession } = setup("a", "b");
    fromSession("b", call(5));
    const elicit = { jsonrpc: "2.0", id: "s1", method: "elicitation/create", params: {} };
    fromServer(elicit);
    expect(inbox["a"]).toEqual([]);
    expect(inbox["b"]).toEqual([{ message: elicit, related: 5 }]);
    fromSession("a", { jsonrpc: "2.0", id: "s1", result: { action: "accept" } });
    expect(toServer).toHaveLength(1);
    fromSession("b", { jsonrpc: "2.0", id: "s1", result: { action: "decline" } });
    expect(toServer[1]).toEqual({ jsonrpc: "2.0", id: "s1", result: { action: "decline" } });
  });

  it("answers a server request itself when no session is attached", () => {
    const { toServer, fromServer } = setup();
    fromServer({ jsonrpc: "2.0", id: 3, method: "roots/list" });
    expect(toServer).toEqual([
      { jsonrpc: "2.0", id: 3, error: { code: -32603, message: "no client session to answer this request" } },
    ]);
  });

  it("sends other server notifications (list changes, logs) to every session", () => {
    const { inbox, fromServer } = setup("a", "b");
    const changed = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };
    fromServer(changed);
    expect(inbox["a"]).toEqual([{ message: changed, related: undefined }]);
    expect(inbox["b"]).toEqual([{ message: changed, related: undefined }]);
  });

  it("cancels a detached session's calls on the server and stops routing to it", () => {
    const { mux, toServer, inbox, fromServer, fromSession } = setup("a");
    fromSession("a", call(1));
    const serverId = toServer[0]?.["id"];
    mux.detach("a");
    expect(toServer[1]).toMatchObject({ method: "notifications/cancelled", params: { requestId: serverId } });
    fromServer({ jsonrpc: "2.0", id: serverId, result: {} });
    fromSession("a", call(2));
    expect(inbox["a"]).toEqual([]);
    expect(toServer).toHaveLength(2);
  });

  it("answers every call in flight with an error when the server is lost", () => {
    const { mux, inbox, fromSession } = setup("a");
    fromSession("a", call("q"));
    mux.serverLost("gone");
    expect(inbox["a"]).toEqual([
      { message: { jsonrpc: "2.0", id: "q", error: { code: -32603, message: "gone" } }, related: "q" },
    ]);
  });

  describe("of a shared process", () => {
    it.each(["elicitation/create", "sampling/createMessage", "roots/list"])(
      "answers a server's %s itself with -32601 and puts it to no session",
      (method) => {
        const { toServer, inbox, fromServer, fromSession } = shared("a", "b");
        fromSession("a", call(1));
        fromSession("b", call(2));
        fromServer({ jsonrpc: "2.0", id: "s1", method, params: {} });
        expect(inbox["a"]).toEqual([]);
        expect(inbox["b"]).toEqual([]);
        expect(toServer[2]).toMatchObject({ jsonrpc: "2.0", id: "s1", error: { code: -32601 } });
        const message = (toServer[2]?.["error"] as { message: string }).message;
        expect(message).toContain(method);
        expect(message).toContain("stdio.instances: perSession");
        fromSession("b", { jsonrpc: "2.0", id: "s1", result: { action: "accept" } });
        expect(toServer).toHaveLength(3);
      },
    );

    it("sends list changes to every session and drops log messages", () => {
      const { inbox, fromServer } = shared("a", "b");
      fromServer({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "secret arg" } });
      fromServer({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
      fromServer({ jsonrpc: "2.0", method: "notifications/resources/list_changed" });
      for (const id of ["a", "b"]) {
        expect(inbox[id]?.map((d) => d.message["method"])).toEqual([
          "notifications/tools/list_changed",
          "notifications/resources/list_changed",
        ]);
      }
    });

    it("answers logging/setLevel itself and never changes the process's level", () => {
      const { toServer, inbox, fromSession } = shared("a", "b");
      fromSession("a", { jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: "debug" } });
      expect(toServer).toEqual([]);
      expect(inbox["a"]).toEqual([{ message: { jsonrpc: "2.0", id: 4, result: {} }, related: 4 }]);
    });

    it("delivers a resource update only to its subscribers; subscribes on the first, unsubscribes on the last", () => {
      const { mux, toServer, inbox, fromServer, fromSession } = shared("a", "b", "c");
      const sub = (id: number, uri: string, method = "resources/subscribe") => ({
        jsonrpc: "2.0",
        id,
        method,
        params: { uri },
      });
      fromSession("a", sub(1, "file:///x"));
      fromSession("b", sub(1, "file:///x"));
      expect(toServer.map((m) => m["method"])).toEqual(["resources/subscribe"]);
      expect(inbox["b"]).toEqual([{ message: { jsonrpc: "2.0", id: 1, result: {} }, related: 1 }]);
      const updated = { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "file:///x" } };
      fromServer(updated);
      fromServer({ ...updated, params: { uri: "file:///other" } });
      expect(inbox["a"]?.map((d) => d.message)).toEqual([updated]);
      expect(inbox["c"]).toEqual([]);
      fromSession("c", sub(9, "file:///x", "resources/unsubscribe"));
      fromSession("a", sub(2, "file:///x", "resources/unsubscribe"));
      expect(toServer).toHaveLength(1);
      mux.detach("b");
      expect(toServer[1]).toMatchObject({ method: "resources/unsubscribe", params: { uri: "file:///x" } });
    });

    it("passes no client notification but cancellation to the process", () => {
      const { toServer, fromSession } = shared("a");
      fromSession("a", { jsonrpc: "2.0", method: "notifications/roots/list_changed" });
      expect(toServer).toEqual([]);
    });
  });
});
