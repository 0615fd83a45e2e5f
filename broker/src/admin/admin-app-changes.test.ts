import { hashApiKey } from "@mcp-gateway/core";
import { HARNESS_ADMIN_TOKEN, startAdminHarness, type AdminHarness } from "../testing/admin-harness";

// Strict bodies, policy changes, config consumers and the audit of admin actions (issue 14, item 16).
let h: AdminHarness;
beforeEach(async () => {
  h = await startAdminHarness();
});
afterEach(async () => {
  await h.close();
});

describe("admin app strict bodies", () => {
  it.each([
    ["POST", "/consumers", { name: "carol", policy: "default", polcy: "admin" }, "polcy"],
    ["POST", "/consumers", { name: "carol", policy: "default", apiKey: "mine", keyHash: "x" }, "apiKey"],
    ["POST", "/consumers", { name: "carol", polcy: "default" }, "polcy"],
    ["PATCH", "/consumers/alice", { policy: "admin", name: "mallory" }, "name"],
    ["PATCH", "/consumers/alice", { polcy: "admin" }, "polcy"],
    ["POST", "/consumers/alice/rotate", { force: true }, "force"],
    ["DELETE", "/consumers/alice", { reason: "left" }, "reason"],
  ])("answers 400 naming the unknown field for %s %s %j", async (method, path, body, field) => {
    await h.register("alice");
    const response = await h.call(method, path, body);
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(String(response.body.error)).toContain(`unknown field`);
    expect(String(response.body.error)).toContain(`"${field}"`);
    // Nothing changed.
    expect((await h.registry.list()).map((c) => [c.name, c.policy, c.rotatedAt, c.revokedAt])).toEqual([
      ["alice", "default", null, null],
    ]);
  });

  it("names every unknown field and the allowed ones", async () => {
    const response = await h.call("POST", "/consumers", { name: "carol", policy: "default", a: 1, b: 2 });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unknown fields "a", "b"; allowed: name, policy');
  });

  it("answers 400 for a PATCH with nothing to change", async () => {
    await h.register("alice");
    const response = await h.call("PATCH", "/consumers/alice", {});
    expect(response.status).toBe(400);
    expect(String(response.body.error)).toMatch(/nothing to change.*policy/);
  });

  it("says where malformed JSON breaks, without quoting it", async () => {
    const response = await h.call("POST", "/consumers", '{"name": "carol", secret-ish');
    expect(response.status).toBe(400);
    expect(String(response.body.error)).toMatch(/^request body is not valid JSON/);
    expect(String(response.body.error)).not.toContain("secret-ish");
  });

  it("answers 415 naming the content type it got for a PATCH that is not JSON", async () => {
    await h.register("alice");
    const response = await fetch(`${h.base}/consumers/alice`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}`, "content-type": "text/plain" },
      body: "policy=admin",
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: string }).error).toBe(
      'content-type must be application/json (got "text/plain")',
    );
  });

  it("accepts application/merge-patch+json for PATCH", async () => {
    await h.register("alice");
    const response = await fetch(`${h.base}/consumers/alice`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}`, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ policy: "admin" }),
    });
    expect(response.status).toBe(200);
  });
});

describe("admin app policy changes", () => {
  it("changes a consumer's policy: the same key has the new policy on the next request", async () => {
    const apiKey = await h.register("alice", "default");
    expect(await h.registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "default" });
    const changed = await h.call("PATCH", "/consumers/alice", { policy: "admin" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: "alice", policy: "admin", rotatedAt: null, revokedAt: null });
    expect(changed.body).not.toHaveProperty("apiKey");
    expect(await h.registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "admin" });
    expect((await h.call("GET", "/consumers/alice")).body).toMatchObject({ policy: "admin" });
  });

  it("answers 400 naming an unknown policy", async () => {
    await h.register("alice");
    const response = await h.call("PATCH", "/consumers/alice", { policy: "root" });
    expect(response).toMatchObject({ status: 400, body: { field: "policy", error: 'unknown policy "root"' } });
    expect((await h.registry.get("alice")).policy).toBe("default");
  });

  it("answers 404 for an unknown consumer and 409 for a revoked one", async () => {
    expect((await h.call("PATCH", "/consumers/ghost", { policy: "admin" })).status).toBe(404);
    await h.register("alice");
    await h.call("DELETE", "/consumers/alice");
    const response = await h.call("PATCH", "/consumers/alice", { policy: "admin" });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatch(/revoked/);
  });
});

describe("admin app config consumers", () => {
  it("lists config consumers read-only, without any key material", async () => {
    await h.register("alice");
    const listed = await h.call("GET", "/consumers");
    const ops = (listed.body.consumers as Record<string, unknown>[]).find((consumer) => consumer.name === "ops");
    expect(ops).toEqual({
      name: "ops",
      policy: "admin",
      source: "config",
      readOnly: true,
      createdAt: null,
      rotatedAt: null,
      revokedAt: null,
    });
    expect(JSON.stringify(listed.body)).not.toContain("sha256:");
    expect((await h.call("GET", "/consumers/ops")).body).toMatchObject({ name: "ops", source: "config" });
  });

  it.each([
    ["POST", "/consumers/ops/rotate", undefined],
    ["DELETE", "/consumers/ops", undefined],
    ["PATCH", "/consumers/ops", { policy: "default" }],
    ["PATCH", "/consumers/OPS", { policy: "default" }],
  ])("answers 409 for %s %s, saying to edit the config", async (method, path, body) => {
    const response = await h.call(method, path, body);
    expect(response.status).toBe(409);
    expect(response.body.error).toMatch(/"ops" is defined in the gateway config .*edit the config file/);
    expect(response.body).not.toHaveProperty("apiKey");
  });
});

describe("admin app audit", () => {
  const actor = `admin:${hashApiKey(HARNESS_ADMIN_TOKEN).slice(7, 19)}`;

  it("records register, policy change, rotate and revoke as admin events with the admin's identity", async () => {
    const apiKey = await h.register("alice", "default");
    await h.call("PATCH", "/consumers/alice", { policy: "admin" });
    const rotated = await h.call("POST", "/consumers/alice/rotate");
    await h.call("DELETE", "/consumers/alice");
    await h.audit.flush();
    expect(h.audited.map((e) => [e.actor, e.method, e.consumer, e.target, e.decision, e.upstreamStatus])).toEqual([
      [actor, "admin/register", "alice", "default", "allowed", 201],
      [actor, "admin/update", "alice", "admin", "allowed", 200],
      [actor, "admin/rotate", "alice", null, "allowed", 200],
      [actor, "admin/revoke", "alice", null, "allowed", 200],
    ]);
    expect(h.audited[1]?.reason).toBe('policy "default" -> "admin"');
    expect(h.audited.every((e) => typeof e.latencyMs === "number" && e.session === null)).toBe(true);
    const text = JSON.stringify(h.audited);
    for (const secret of [apiKey, String(rotated.body.apiKey), HARNESS_ADMIN_TOKEN, hashApiKey(HARNESS_ADMIN_TOKEN)]) {
      expect(text).not.toContain(secret);
    }
  });

  it("records refused attempts with the reason", async () => {
    await h.call("POST", "/consumers", { name: "carol", policy: "root" });
    await h.call("PATCH", "/consumers/ops", { policy: "default" });
    await h.call("POST", "/consumers/ghost/rotate");
    await h.call("POST", "/consumers", "{broken");
    await h.audit.flush();
    expect(h.audited.map((e) => [e.method, e.consumer, e.decision, e.upstreamStatus])).toEqual([
      ["admin/register", "carol", "rejected", 400],
      ["admin/update", "ops", "rejected", 409],
      ["admin/rotate", "ghost", "rejected", 404],
      ["admin/register", null, "rejected", 400],
    ]);
    expect(h.audited[0]?.reason).toBe('unknown policy "root"');
    expect(h.audited[1]?.reason).toMatch(/defined in the gateway config/);
  });

  it("records nothing for reads", async () => {
    await h.call("GET", "/consumers");
    await h.call("GET", "/consumers/ops");
    await h.audit.flush();
    expect(h.audited).toEqual([]);
  });
});
