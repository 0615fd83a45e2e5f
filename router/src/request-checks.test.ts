import { JsonRpcErrorCode } from "@mcp-gateway/core";
import { bodySizeError, isMcpPath, isPublicPath, pathError } from "./request-checks";

describe("isPublicPath", () => {
  it.each([
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource?x=1",
    "/.well-known/oauth-protected-resource/mcp?x=1",
  ])("lets %s through without credentials", (path) => {
    expect(isPublicPath(path)).toBe(true);
  });

  it.each([
    "/mcp",
    "",
    "/",
    "/.well-known/oauth-protected-resourcex",
    "/.well-known/oauth-protected-resource-admin",
    "/.well-known/oauth-protected-resource.json",
    "/.WELL-KNOWN/oauth-protected-resource",
    "//.well-known/oauth-protected-resource",
    "/mcp/.well-known/oauth-protected-resource",
    "/mcp?next=/.well-known/oauth-protected-resource",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource%2Fmcp",
  ])("needs credentials for %j", (path) => {
    expect(isPublicPath(path)).toBe(false);
  });
});

describe("isMcpPath", () => {
  it.each([
    ["/mcp", true],
    ["/mcp?session=1", true],
    ["/mcp/", false],
    ["/MCP", false],
    ["/mcp/../status", false],
    ["/mcpx", false],
    ["/", false],
  ])("%j is the MCP endpoint: %s", (path, expected) => {
    expect(isMcpPath(path)).toBe(expected);
  });
});

describe("pathError", () => {
  it.each(["/mcp", "/mcp?x=1", "/.well-known/oauth-protected-resource/mcp"])("lets %s through", (path) => {
    expect(pathError(path, true)).toBeUndefined();
  });

  it.each(["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"])(
    "answers %s with 404 when no authorization server is configured (nothing to advertise)",
    (path) => {
      expect(pathError(path, false)).toMatchObject({ httpStatus: 404 });
      expect(pathError("/mcp", false)).toBeUndefined();
    },
  );

  it.each(["/status", "/metrics", "/", "/mcp/../status", "/%73tatus", "/admin/consumers"])(
    "answers %s with 404, keeping the broker's operations endpoints private",
    (path) => {
      expect(pathError(path, true)).toMatchObject({ httpStatus: 404, code: JsonRpcErrorCode.InvalidRequest });
    },
  );

  it("names the path without its query and points at /mcp", () => {
    expect(pathError("/status?token=secret", true)?.message).toBe('no MCP endpoint at "/status"; use /mcp');
  });
});

describe("bodySizeError", () => {
  it.each([
    ["no content-length", {}],
    ["a body at the limit", { "content-length": "1000" }],
    ["an empty body", { "content-length": "0" }],
  ])("accepts %s", (_label, headers: Record<string, string>) => {
    expect(bodySizeError(headers, 1000)).toBeUndefined();
  });

  it("refuses a declared body over the limit with 413", () => {
    expect(bodySizeError({ "content-length": "1001" }, 1000)).toMatchObject({
      code: JsonRpcErrorCode.RequestTooLarge,
      httpStatus: 413,
      message: "request body of 1001 bytes exceeds the limit of 1000 bytes",
    });
  });

  it.each([["abc"], ["-5"], [""]])(
    "leaves a content-length of %j that is no size to the check on the body itself",
    (declared) => {
      expect(bodySizeError({ "content-length": declared }, 1000)).toBeUndefined();
    },
  );

  it("reads a huge declared length as over the limit", () => {
    expect(bodySizeError({ "content-length": "99999999999999999999" }, 1000)?.httpStatus).toBe(413);
  });
});
