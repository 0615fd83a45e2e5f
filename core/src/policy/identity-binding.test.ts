import { IDENTITY_HEADER, IdentityCodec, type Identity } from "../auth/identity";
import { parseConfig } from "../config/load";
import { JsonRpcErrorCode } from "../errors";
import { Redactor } from "../sanitize";
import { SecurityGate } from "./security-gate";

// Behind the router the broker exchanges or forwards the bearer token beside the signed identity header for
// per-consumer upstreams: the header binds the token the router authenticated, and no other is accepted.
const SECRET = "identity-binding-test-secret-0123456789abcdef";
const BOB_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ.bob-signature";
const MALLORY_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.mallory-signature";
const BOB: Identity = { consumer: "bob", policy: "everything", method: "jwt" };
const config = parseConfig(
  `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
auth: { apiKeys: {} }
policies: { everything: { tools: ["*"] } }
`,
  {},
);

function brokerGate(): SecurityGate {
  return new SecurityGate({
    config: () => config,
    authenticator: () => undefined,
    identities: new IdentityCodec(SECRET),
    redactor: () => new Redactor([]),
  });
}

describe("the identity header binds a JWT caller's bearer token", () => {
  it("accepts the header beside the token it was signed for", () => {
    const gate = brokerGate();
    const header = gate.identityHeader(gate.caller(BOB), BOB_TOKEN);
    expect(gate.fromIdentityHeader({ ...header, authorization: `Bearer ${BOB_TOKEN}` }).identity).toEqual(BOB);
  });

  it.each([
    ["another bearer token", { authorization: `Bearer ${MALLORY_TOKEN}` }, BOB_TOKEN],
    ["no bearer token", {}, BOB_TOKEN],
    ["its token under another scheme", { authorization: `Basic ${BOB_TOKEN}` }, BOB_TOKEN],
    ["its token, but a header that binds none", { authorization: `Bearer ${BOB_TOKEN}` }, undefined],
  ])("refuses a JWT identity with %s (401 naming the mismatch)", (_label, sent, bound) => {
    const gate = brokerGate();
    const header = gate.identityHeader(gate.caller(BOB), bound);
    expect(() => gate.fromIdentityHeader({ ...header, ...sent })).toThrow(
      expect.objectContaining({
        httpStatus: 401,
        code: JsonRpcErrorCode.Unauthorized,
        message: "unauthorized: the bearer token is not the one the gateway router authenticated",
      }),
    );
  });

  it("refuses a header whose binding was altered (the payload is signed)", () => {
    const gate = brokerGate();
    const value = gate.identityHeader(gate.caller(BOB), BOB_TOKEN)[IDENTITY_HEADER] ?? "";
    const [version, body = "", tag] = value.split(".");
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    const swapped = { ...payload, cred: new IdentityCodec(SECRET).sign(BOB, MALLORY_TOKEN).split(".")[1] };
    const forged = `${version}.${Buffer.from(JSON.stringify(swapped)).toString("base64url")}.${tag}`;
    const headers = { [IDENTITY_HEADER]: forged, authorization: `Bearer ${MALLORY_TOKEN}` };
    expect(() => gate.fromIdentityHeader(headers)).toThrow(expect.objectContaining({ httpStatus: 401 }));
  });

  it("carries the token only as a MAC: the header never shows it", () => {
    const gate = brokerGate();
    const value = gate.identityHeader(gate.caller(BOB), BOB_TOKEN)[IDENTITY_HEADER] ?? "";
    const payload = Buffer.from(value.split(".")[1] ?? "", "base64url").toString("utf8");
    expect(payload).not.toContain("bob-signature");
    expect(JSON.parse(payload)).toEqual(
      expect.objectContaining({ cred: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
    );
  });
});
