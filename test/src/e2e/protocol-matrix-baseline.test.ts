import type { RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import type { ClientKind } from "./protocol-matrix-clients";
import type { MatrixEndpoint } from "./protocol-matrix-cases";
import { describeMatrixRow } from "./protocol-matrix-suite";

jest.setTimeout(30_000);

// The matrix's operations run DIRECTLY against each fixture, no gateway: proof that the operations and their exact
// expectations are right for every client that can talk to that fixture on its own (a v1 client speaks 2025 only; a
// pinned v2 client 2026-07-28 only). The gateway matrix (protocol-matrix.test.ts) must then show the same.

const LEGACY_FIXTURE: MatrixEndpoint = {
  label: "the 2025 fixture directly",
  targets: [{ label: "2025 upstream", generation: "2025", toolPrefix: "", resourcePrefix: "" }],
  offersModern: false,
  foreignPrefixes: [],
};
const MODERN_FIXTURE: MatrixEndpoint = {
  label: "the 2026 fixture directly",
  targets: [{ label: "2026 upstream", generation: "2026", toolPrefix: "", resourcePrefix: "" }],
  offersModern: true,
  foreignPrefixes: [],
};

const fixtures: { legacy?: RunningServer; modern?: RunningServer } = {};

beforeAll(async () => {
  [fixtures.legacy, fixtures.modern] = await Promise.all([
    startConformanceFixture({ port: 0 }),
    startModernConformanceFixture({ port: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([fixtures.legacy?.close(), fixtures.modern?.close()]);
});

const urlOf = (endpoint: MatrixEndpoint) => (): string => {
  const fixture = endpoint === LEGACY_FIXTURE ? fixtures.legacy : fixtures.modern;
  if (fixture === undefined) throw new Error(`${endpoint.label} did not start`);
  return fixture.url;
};

const pairs: [ClientKind, string, MatrixEndpoint][] = [
  ["SDK v1 client", LEGACY_FIXTURE.label, LEGACY_FIXTURE],
  ["SDK v2 client, auto", LEGACY_FIXTURE.label, LEGACY_FIXTURE],
  ["SDK v2 client, auto", MODERN_FIXTURE.label, MODERN_FIXTURE],
  ["SDK v2 client, pinned 2026-07-28", MODERN_FIXTURE.label, MODERN_FIXTURE],
];

describe.each(pairs)("protocol matrix baseline: %s against %s", (kind, _label, endpoint) => {
  describeMatrixRow(kind, endpoint, urlOf(endpoint));
});
