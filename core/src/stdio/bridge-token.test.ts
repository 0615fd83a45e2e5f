import { parseConfig } from "../config/load";
import { buildUpstreamHeaders, forwardHeaders, INTERNAL_HEADERS, isInternalHeader } from "../routing/headers";
import {
  checkStdioBridgeToken,
  STDIO_BRIDGE_TOKEN_HEADER,
  stdioBridgeToken,
  withStdioBridgeToken,
} from "./bridge-token";

const SECRET = "unit-session-secret-0123456789abcdef";
const CONFIG = `version: 1
auth: none
sessions: { secret: "${SECRET}" }
servers:
  - { name: local, command: node }
  - { name: remote, url: "http://127.0.0.1:9/mcp", headers: { x-api-key: upstream-key } }
`;

describe("the stdio bridge's token", () => {
  it("is derived from sessions.secret (the same in every process), never the secret itself", () => {
    const token = stdioBridgeToken(SECRET);
    expect(stdioBridgeToken(SECRET)).toBe(token);
    expect(token).not.toContain(SECRET);
    expect(stdioBridgeToken(`${SECRET}x`)).not.toBe(token);
  });

  it("is random per process without a secret", () => {
    expect(stdioBridgeToken(undefined)).not.toBe(stdioBridgeToken(undefined));
  });

  it("goes into the stdio servers' upstream headers only, frozen", () => {
    const config = withStdioBridgeToken(parseConfig(CONFIG, {}), "t0k3n");
    const [local, remote] = config.servers;
    expect(local?.headers).toEqual({ [STDIO_BRIDGE_TOKEN_HEADER]: "t0k3n" });
    expect(remote?.headers).toEqual({ "x-api-key": "upstream-key" });
    expect(Object.isFrozen(local?.headers)).toBe(true);
    expect(Object.isFrozen(config.servers)).toBe(true);
  });

  it("is set on a routed call to a stdio server (Envoy mode's header mutation, standalone forwarding)", () => {
    const [local] = withStdioBridgeToken(parseConfig(CONFIG, {}), "t0k3n").servers;
    if (!local) throw new Error("no server");
    const built = buildUpstreamHeaders({
      server: local,
      method: "tools/call",
      targetName: "echo",
      backend: { sessionId: "s1", protocolVersion: "2025-06-18" },
      body: Buffer.from("{}"),
    });
    expect(built.setHeaders[STDIO_BRIDGE_TOKEN_HEADER]).toBe("t0k3n");
    // A client's copy never passes: the gateway's own value replaces it.
    expect(forwardHeaders({ [STDIO_BRIDGE_TOKEN_HEADER]: "client-guess" }, built)[STDIO_BRIDGE_TOKEN_HEADER]).toBe(
      "t0k3n",
    );
  });

  it("is an internal header: a client-supplied copy is stripped, and never forwarded to any upstream", () => {
    expect(INTERNAL_HEADERS).toContain(STDIO_BRIDGE_TOKEN_HEADER);
    expect(isInternalHeader(STDIO_BRIDGE_TOKEN_HEADER)).toBe(true);
    const sent = forwardHeaders(
      { [STDIO_BRIDGE_TOKEN_HEADER]: "guess", "x-trace": "t" },
      { setHeaders: {}, removeHeaders: [] },
    );
    expect(sent).toEqual({ "x-trace": "t" });
  });

  it.each([
    [undefined, "missing"],
    ["", "missing"],
    ["wrong", "wrong"],
    ["t0k3", "wrong"],
    [["t0k3n", "t0k3n"], "wrong"],
    ["t0k3n", undefined],
  ])("checks a presented %j: %s", (presented, expected) => {
    expect(checkStdioBridgeToken(presented, "t0k3n")).toBe(expected);
  });
});
