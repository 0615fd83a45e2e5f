import { providerFailure, providerStatusError } from "./provider-errors";

const KEY = "sk-the-gateway-key-123";

describe("provider errors", () => {
  it.each([
    [400, 400, "invalid_request_error"],
    [401, 502, "upstream_error"],
    [403, 502, "upstream_error"],
    [429, 429, "rate_limit_exceeded"],
    [500, 502, "upstream_error"],
    [503, 502, "upstream_error"],
  ])("provider %i is the client's %i %s", (status, clientStatus, type) => {
    const error = providerStatusError("openai", status, '{"error":{"message":"nope"}}', KEY, null);
    expect([error.status, error.type]).toEqual([clientStatus, type]);
    expect(error.message).toContain("openai");
  });

  it("401 says the gateway's credentials were refused, never echoing the provider's text", () => {
    const error = providerStatusError("openai", 401, `{"error":{"message":"Incorrect API key: ${KEY}"}}`, KEY, null);
    expect(error.message).toBe("the gateway's credentials for provider openai were refused (HTTP 401)");
  });

  it("passes a 400's message on with the key scrubbed", () => {
    const error = providerStatusError("openai", 400, `{"error":{"message":"bad max_tokens for ${KEY}"}}`, KEY, null);
    expect(error.message).toBe("provider openai: bad max_tokens for [REDACTED]");
  });

  it("keeps a 429's Retry-After when it is seconds", () => {
    expect(providerStatusError("openai", 429, "", KEY, "7").headers).toEqual({ "retry-after": "7" });
    expect(providerStatusError("openai", 429, "", KEY, "soon\r\nx: y").headers).toEqual({});
  });

  it("a timeout is 504, any other failure 502", () => {
    expect(providerFailure("openai", 5000, true)).toMatchObject({ status: 504, code: "provider_timeout" });
    expect(providerFailure("openai", 5000, false)).toMatchObject({ status: 502, code: "provider_unreachable" });
  });
});
