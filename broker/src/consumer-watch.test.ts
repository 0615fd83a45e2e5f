import type { ConsumerRecord } from "@mcp-gateway/core";
import { ConsumerWatch } from "./consumer-watch";

const record = (name: string, policy: string, revokedAt: string | null = null): ConsumerRecord => ({
  name,
  policy,
  keyHash: `sha256:${"0".repeat(64)}`,
  createdAt: "2026-01-01T00:00:00.000Z",
  rotatedAt: null,
  revokedAt,
});

/** A watch over `records` with `connected` streams, recording what it reads and reports. */
function watchOver(records: Record<string, ConsumerRecord | Error>, connected: [string, string][]) {
  const reads: string[] = [];
  const changed: [string, string][] = [];
  const revoked: string[] = [];
  const errors: unknown[] = [];
  const watch = new ConsumerWatch({
    store: {
      get: (name) => {
        reads.push(name);
        const found = records[name];
        return found instanceof Error ? Promise.reject(found) : Promise.resolve(found);
      },
    },
    connected: () => connected,
    onPolicyChanged: (consumer, policy) => void changed.push([consumer, policy]),
    onRevoked: (consumer) => void revoked.push(consumer),
    onError: (error) => void errors.push(error),
  });
  return { watch, reads, changed, revoked, errors };
}

describe("ConsumerWatch", () => {
  it("reads each connected consumer once, however many streams it has", async () => {
    const { watch, reads } = watchOver({ ann: record("ann", "readers"), bob: record("bob", "readers") }, [
      ["ann", "readers"],
      ["ann", "readers"],
      ["bob", "readers"],
    ]);
    await watch.check();
    expect(reads).toEqual(["ann", "bob"]);
  });

  it("reads nothing while no stream of a store consumer is open", async () => {
    const { watch, reads } = watchOver({}, []);
    await watch.check();
    expect(reads).toEqual([]);
  });

  it("reports a consumer whose stored policy differs from one its streams are held to", async () => {
    const { watch, changed, revoked } = watchOver({ ann: record("ann", "everything"), bob: record("bob", "readers") }, [
      ["ann", "everything"],
      ["ann", "readers"],
      ["bob", "readers"],
    ]);
    await watch.check();
    expect(changed).toEqual([["ann", "everything"]]);
    expect(revoked).toEqual([]);
  });

  it.each([
    ["revoked", { ann: record("ann", "readers", "2026-02-01T00:00:00.000Z") }],
    ["gone from the store", {}],
  ])("reports a consumer %s as revoked", async (_label, records) => {
    const { watch, changed, revoked } = watchOver(records, [["ann", "readers"]]);
    await watch.check();
    expect(revoked).toEqual(["ann"]);
    expect(changed).toEqual([]);
  });

  it("reports a failed read as an error and nothing else about that consumer", async () => {
    const { watch, changed, revoked, errors } = watchOver({ ann: new Error("store down") }, [["ann", "everything"]]);
    await watch.check();
    expect(errors).toHaveLength(1);
    expect([changed, revoked]).toEqual([[], []]);
  });

  it("reports an outage once, not per read or per round, and again after the store came back", async () => {
    const records: Record<string, ConsumerRecord | Error> = { ann: new Error("down"), bob: new Error("down") };
    const { watch, errors } = watchOver(records, [
      ["ann", "readers"],
      ["bob", "readers"],
    ]);
    await watch.check();
    await watch.check();
    expect(errors).toHaveLength(1);
    Object.assign(records, { ann: record("ann", "readers"), bob: record("bob", "readers") });
    await watch.check();
    records["ann"] = new Error("down again");
    await watch.check();
    expect(errors).toHaveLength(2);
  });

  it("checks on its own every interval until closed", async () => {
    const reads: string[] = [];
    const watch = new ConsumerWatch({
      store: { get: (name) => (reads.push(name), Promise.resolve(record(name, "readers"))) },
      connected: () => [["ann", "readers"]],
      onPolicyChanged: () => undefined,
      onRevoked: () => undefined,
      onError: () => undefined,
      intervalMs: 5,
    });
    watch.start();
    const deadline = Date.now() + 5_000;
    while (reads.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    watch.close();
    const seen = reads.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeLessThanOrEqual(seen + 1);
  });
});
