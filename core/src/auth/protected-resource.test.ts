import { protectedResourceMetadata, resourceMetadataUrl, wwwAuthenticate } from "./protected-resource";

describe("protectedResourceMetadata", () => {
  it("builds the RFC 9728 document", () => {
    expect(
      protectedResourceMetadata({
        resource: "https://gw.example.com/mcp",
        authorizationServers: ["https://idp.example.com"],
        scopesSupported: ["mcp:tools"],
        resourceName: "Example MCP Gateway",
      }),
    ).toEqual({
      resource: "https://gw.example.com/mcp",
      authorization_servers: ["https://idp.example.com"],
      bearer_methods_supported: ["header"],
      scopes_supported: ["mcp:tools"],
      resource_name: "Example MCP Gateway",
    });
  });

  it("leaves out what is not configured", () => {
    const metadata = protectedResourceMetadata({ resource: "https://gw/mcp", authorizationServers: ["https://idp"] });
    expect(Object.keys(metadata).sort()).toEqual(["authorization_servers", "bearer_methods_supported", "resource"]);
  });

  it("copies lists, so later changes to the options do not leak into the document", () => {
    const servers = ["https://idp"];
    const metadata = protectedResourceMetadata({ resource: "https://gw/mcp", authorizationServers: servers });
    servers.push("https://evil");
    expect(metadata.authorization_servers).toEqual(["https://idp"]);
  });
});

describe("resourceMetadataUrl", () => {
  it.each([
    ["https://gw.example.com/mcp", "https://gw.example.com/.well-known/oauth-protected-resource/mcp"],
    ["https://gw.example.com/", "https://gw.example.com/.well-known/oauth-protected-resource"],
    ["https://gw.example.com", "https://gw.example.com/.well-known/oauth-protected-resource"],
    ["https://gw.example.com:8443/a/b/", "https://gw.example.com:8443/.well-known/oauth-protected-resource/a/b/"],
    ["http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"],
    ["https://gw.example.com/mcp?tenant=a", "https://gw.example.com/.well-known/oauth-protected-resource/mcp?tenant=a"],
    ["HTTPS://GW.Example.COM/Mcp", "https://gw.example.com/.well-known/oauth-protected-resource/Mcp"],
  ])("puts the well-known path between host and path of %s", (resource, expected) => {
    expect(resourceMetadataUrl(resource)).toBe(expected);
  });

  it.each([
    ["a fragment", "https://gw.example.com/mcp#frag"],
    ["an empty fragment", "https://gw.example.com/mcp#"],
    ["another scheme", "ftp://gw.example.com/mcp"],
    ["no URL", "gw.example.com/mcp"],
  ])("refuses a resource with %s", (_name, resource) => {
    expect(() => resourceMetadataUrl(resource)).toThrow();
  });
});

describe("wwwAuthenticate", () => {
  const url = "https://gw.example.com/.well-known/oauth-protected-resource/mcp";

  it("points to the metadata when the request had no credentials", () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: url })).toBe(`Bearer resource_metadata="${url}"`);
  });

  it("is a plain Bearer challenge, details only, without metadata to point at", () => {
    expect(wwwAuthenticate({})).toBe("Bearer");
    expect(wwwAuthenticate({ error: "invalid_token", description: "bad key" })).toBe(
      'Bearer error="invalid_token", error_description="bad key"',
    );
  });

  it("adds the error and its description", () => {
    expect(
      wwwAuthenticate({ resourceMetadataUrl: url, error: "invalid_token", description: "token has expired" }),
    ).toBe(`Bearer resource_metadata="${url}", error="invalid_token", error_description="token has expired"`);
  });

  it("adds the scope", () => {
    expect(wwwAuthenticate({ resourceMetadataUrl: url, scope: "mcp:tools mcp:read" })).toBe(
      `Bearer resource_metadata="${url}", scope="mcp:tools mcp:read"`,
    );
  });

  it("escapes quotes and backslashes", () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: url, error: "invalid_request", description: 'a "b" \\c' });
    expect(value).toContain('error_description="a \\"b\\" \\\\c"');
  });

  it("cannot be used to split the header or inject parameters", () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: url, description: 'x"\r\nSet-Cookie: a=b, error="y' });
    expect(value).not.toMatch(/[\r\n]/);
    expect(value).toBe(`Bearer resource_metadata="${url}", error_description="x\\"  Set-Cookie: a=b, error=\\"y"`);
  });

  it("replaces characters a header value cannot carry", () => {
    const value = wwwAuthenticate({ resourceMetadataUrl: url, description: "caf\u00e9 \u{1f512}\u0000" });
    expect(value).toMatch(/error_description="caf\? \? "$/);
  });
});
