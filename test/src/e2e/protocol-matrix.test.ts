import type { RunningServer } from "@mcp-gateway/example-kit";
import { pollUntil } from "../support/bounded-wait";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";
import { CLIENT_KINDS } from "./protocol-matrix-clients";
import type { MatrixEndpoint } from "./protocol-matrix-cases";
import { describeMatrixRow } from "./protocol-matrix-suite";

jest.setTimeout(30_000);

// The matrix: {SDK v1 client, SDK v2 client auto, SDK v2 client pinned 2026-07-28} x {2025 upstream, 2026
// upstream, both behind one gateway} x {standalone, Envoy mode under a real Envoy}. One gateway per mode carries
// both fixtures (the "both" column); every operation targets each upstream through its prefix, which covers the
// single-upstream columns. protocol-matrix-baseline.test.ts proves the same operations directly against the fixtures.

const GATEWAY: MatrixEndpoint = {
  label: "the gateway",
  targets: [
    { label: "2025 upstream", generation: "2025", toolPrefix: "old_", resourcePrefix: "old" },
    { label: "2026 upstream", generation: "2026", toolPrefix: "new_", resourcePrefix: "new" },
  ],
  // The gateway advertises and negotiates both generations (issue item 1): an auto client lands on 2026-07-28.
  offersModern: true,
  // The stack always carries the weather and notes example servers; their items are not the matrix's.
  foreignPrefixes: ["weather_", "notes_", "weather+", "notes+"],
};

const modes: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (a real Envoy, router and broker in one process)", { kind: "envoy", store: "memory" }],
];

// Upstreams get this long to become ready; the readiness test below reports any that did not (and the cells then
// fail on their own), rather than the whole mode failing in its beforeAll.
const READY_MS = 15_000;

async function upstreamStates(stack: GatewayStack): Promise<Record<string, string>> {
  const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as {
    upstreams: { name: string; state: string }[];
  };
  return Object.fromEntries(status.upstreams.map((u) => [u.name, u.state]));
}

describe.each(modes)("protocol matrix through the gateway, %s", (_label, mode) => {
  let legacy: RunningServer | undefined;
  let modern: RunningServer | undefined;
  let stack: GatewayStack | undefined;
  let states: Record<string, string> = {};

  beforeAll(async () => {
    [legacy, modern] = await Promise.all([
      startConformanceFixture({ port: 0 }),
      startModernConformanceFixture({ port: 0 }),
    ]);
    stack = await startGatewayStack(mode, {
      extraServers: [
        `name: legacyfx, url: "${legacy.url}", prefix: old_`,
        `name: modernfx, url: "${modern.url}", prefix: new_`,
      ],
      awaitReady: false,
    });
    const running = stack;
    const allReady = async (): Promise<boolean> => {
      states = await upstreamStates(running).catch(() => ({}));
      return Object.keys(states).length === 4 && Object.values(states).every((state) => state === "ready");
    };
    await pollUntil(allReady, READY_MS, 100);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([legacy?.close(), modern?.close()]);
  });

  it("reports both fixtures (and the example servers) ready", () => {
    expect(states).toEqual({ weather: "ready", notes: "ready", legacyfx: "ready", modernfx: "ready" });
  });

  describe.each(CLIENT_KINDS)("%s", (kind) => {
    describeMatrixRow(kind, GATEWAY, () => {
      if (stack === undefined) throw new Error("the gateway stack did not start");
      return stack.url;
    });
  });
});
