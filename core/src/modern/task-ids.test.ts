import { JsonRpcErrorCode } from "../errors";
import {
  MAX_GATEWAY_TASK_ID_CHARS,
  MAX_TASK_TARGET_CHARS,
  MAX_UPSTREAM_TASK_ID_CHARS,
  TaskIdCodec,
  taskNotFound,
} from "./task-ids";

const SECRET = "0123456789abcdef0123456789abcdef";
const owner = { consumer: "alice", server: "ci", taskId: "786512e2-9e0d-44bd-8f29-789f320fe840" };

describe("TaskIdCodec", () => {
  const codec = new TaskIdCodec(SECRET, () => 1_000);

  it("opens its own id for the same consumer: the owning server and the upstream's task id", () => {
    const id = codec.seal(owner);
    expect(id).toMatch(/^t1\.[A-Za-z0-9_-]+$/);
    expect(codec.open(id, "alice")).toEqual({ ok: true, server: "ci", taskId: owner.taskId, expiresAtMs: undefined });
  });

  it("names neither the server nor the upstream's id, and seals the same task differently each time", () => {
    const id = codec.seal(owner);
    // The sealed bytes (not the base64url text, where any two letters turn up by chance) carry neither in clear.
    const sealed = Buffer.from(id.slice(3), "base64url").toString("latin1");
    expect(sealed).not.toContain(`"${owner.server}"`);
    expect(sealed).not.toContain(owner.consumer);
    expect(sealed).not.toContain(owner.taskId);
    expect(codec.seal(owner)).not.toBe(id);
  });

  it("records the tool whose call created the task, and refuses a target over MAX_TASK_TARGET_CHARS (502)", () => {
    expect(codec.open(codec.seal({ ...owner, target: "ci_build" }), "alice")).toMatchObject({ target: "ci_build" });
    expect(codec.open(codec.seal(owner), "alice")).not.toHaveProperty("target");
    expect(() => codec.seal({ ...owner, target: "t".repeat(MAX_TASK_TARGET_CHARS + 1) })).toThrow(
      expect.objectContaining({ httpStatus: 502 }),
    );
  });

  it("refuses another consumer's id as forged", () => {
    expect(codec.open(codec.seal(owner), "bob")).toEqual({ ok: false, reason: "forged" });
    expect(codec.open(codec.seal({ ...owner, consumer: "" }), "alice")).toEqual({ ok: false, reason: "forged" });
  });

  it("refuses an id sealed with another secret", () => {
    const other = new TaskIdCodec("another secret of at least thirty-two chars");
    expect(codec.open(other.seal(owner), "alice")).toEqual({ ok: false, reason: "forged" });
  });

  it("honours the expiry it sealed", () => {
    let now = 1_000;
    const clock = new TaskIdCodec(SECRET, () => now);
    const id = clock.seal(owner, 2_000);
    expect(clock.open(id, "alice")).toMatchObject({ ok: true, expiresAtMs: 2_000 });
    now = 2_000;
    expect(clock.open(id, "alice")).toEqual({ ok: false, reason: "expired" });
  });

  it.each([
    ["", "malformed"],
    ["t1.", "malformed"],
    ["t2.AAAA", "malformed"],
    ["t1.AAAA", "malformed"],
    ["t1.A+AA", "malformed"],
    [`t1.${"A".repeat(MAX_GATEWAY_TASK_ID_CHARS)}`, "malformed"],
    [`t1.${Buffer.alloc(40).toString("base64url")}`, "forged"],
  ])("refuses %j as %s", (id, reason) => {
    expect(codec.open(id, "alice")).toEqual({ ok: false, reason });
  });

  it("refuses a non-canonical spelling of a valid id (padding)", () => {
    const id = codec.seal(owner);
    expect(codec.open(`${id}=`, "alice")).toEqual({ ok: false, reason: "malformed" });
  });

  it("wraps upstream ids up to the limit in an id within MAX_GATEWAY_TASK_ID_CHARS, and refuses longer ones (502)", () => {
    const longest = {
      ...owner,
      taskId: "\u0001".repeat(MAX_UPSTREAM_TASK_ID_CHARS),
      target: "\u0001".repeat(MAX_TASK_TARGET_CHARS),
    };
    const id = codec.seal(longest, Number.MAX_SAFE_INTEGER);
    expect(id.length).toBeLessThanOrEqual(MAX_GATEWAY_TASK_ID_CHARS);
    expect(codec.open(id, "alice")).toMatchObject({ ok: true, taskId: longest.taskId });
    expect(() => codec.seal({ ...owner, taskId: "x".repeat(MAX_UPSTREAM_TASK_ID_CHARS + 1) })).toThrow(
      expect.objectContaining({ code: JsonRpcErrorCode.UpstreamUnavailable, httpStatus: 502 }),
    );
  });
});

describe("taskNotFound", () => {
  it("is -32602 with the id echoed (capped), as the tasks extension requires", () => {
    expect(taskNotFound("t1.x", 9).toJsonRpc()).toEqual({
      jsonrpc: "2.0",
      id: 9,
      error: { code: -32602, message: 'task not found: "t1.x"' },
    });
  });
});
