import { PROTOTYPE_KEYS } from "../own-keys";
import { parseBearer, readApiKey, readBearerToken } from "./credentials";

describe("parseBearer", () => {
  it.each([
    ["Bearer abc123", "abc123"],
    ["bearer abc123", "abc123"],
    ["BEARER abc123", "abc123"],
    ["Bearer   abc123", "abc123"],
    ["  Bearer abc123  ", "abc123"],
    ["Bearer mcpgw_AbC-_.~+/x==", "mcpgw_AbC-_.~+/x=="],
    ["Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"],
  ])("reads %j as %j", (value, token) => {
    expect(parseBearer(value)).toBe(token);
  });

  it.each([
    ["no token", "Bearer"],
    ["only spaces after the scheme", "Bearer    "],
    ["two tokens", "Bearer abc def"],
    ["another scheme", "Basic YWxpY2U6c2VjcmV0"],
    ["no scheme", "abc123"],
    ["no space after the scheme", "Bearerabc123"],
    ["a tab as separator", "Bearer\tabc123"],
    ["two joined headers", "Bearer abc, Bearer def"],
    ["a character outside b64token", "Bearer abc;def"],
    ["padding in the middle", "Bearer ab=c"],
    ["an empty value", ""],
  ])("refuses %s", (_name, value) => {
    expect(parseBearer(value)).toBeUndefined();
  });
});

describe("readApiKey", () => {
  it("reads a Bearer key from authorization", () => {
    expect(readApiKey({ authorization: "bearer mcpgw_key" }, "authorization")).toBe("mcpgw_key");
  });

  it("refuses a malformed authorization value", () => {
    expect(readApiKey({ authorization: "Token mcpgw_key" }, "authorization")).toBeUndefined();
  });

  it("reads any other header raw and trimmed", () => {
    expect(readApiKey({ "x-api-key": "  mcpgw_key \t" }, "x-api-key")).toBe("mcpgw_key");
  });

  it("does not expect Bearer in other headers (it is part of the value)", () => {
    expect(readApiKey({ "x-api-key": "Bearer mcpgw_key" }, "x-api-key")).toBe("Bearer mcpgw_key");
  });

  it("matches the configured header name in any case against lower-case headers", () => {
    expect(readApiKey({ "x-api-key": "mcpgw_key" }, "X-API-Key")).toBe("mcpgw_key");
  });

  it.each([
    ["absent", {}],
    ["empty", { "x-api-key": "" }],
    ["blank", { "x-api-key": "   " }],
    ["only in another header", { authorization: "Bearer mcpgw_key" }],
  ])("is undefined when the header is %s", (_name, headers: Record<string, string>) => {
    expect(readApiKey(headers, "x-api-key")).toBeUndefined();
  });

  it.each(PROTOTYPE_KEYS.map((name) => name.toLowerCase()))(
    "finds no key in a configured header %j the request lacks (nothing inherited)",
    (header) => {
      expect(readApiKey({ accept: "*/*" }, header)).toBeUndefined();
    },
  );

  it("reads a key from a configured header named constructor when it is sent", () => {
    expect(readApiKey({ constructor: "mcpgw_key" } as Record<string, string>, "constructor")).toBe("mcpgw_key");
  });
});

describe("readBearerToken", () => {
  it("reads the authorization header", () => {
    expect(readBearerToken({ authorization: "Bearer t0k3n" })).toBe("t0k3n");
  });

  it("ignores other headers", () => {
    expect(readBearerToken({ "x-authorization": "Bearer t0k3n" })).toBeUndefined();
  });
});
