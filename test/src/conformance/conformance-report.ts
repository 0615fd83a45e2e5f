import { startGatewayStack, type StackMode } from "../e2e/gateway-stack";
import { startConformanceFixture } from "./fixture-server";
import { runConformance, type ConformanceRun } from "./run-suite";

// The suite names tools, prompts and resources literally: the fixture is mounted with an empty prefix next to the
// prefixed example servers. Behind Envoy the gateway cannot know the public host name, so it is configured.
const THROUGH: [string, StackMode, string][] = [
  ["standalone", { kind: "standalone" }, "{}"],
  [
    "Envoy mode (router behind a real Envoy)",
    { kind: "envoy", store: "memory" },
    '{ allowedHosts: ["127.0.0.1", "localhost"] }',
  ],
];

function report(label: string, run: ConformanceRun): string {
  const failures = run.failures.length > 0 ? `   failed: ${run.failures.join(", ")}` : "";
  return `${label.padEnd(62)} Total: ${run.passed} passed, ${run.failed} failed (${run.scenarios.length} scenarios)${failures}`;
}

/** `npm run conformance`: the official suite directly against the fixture, then through each gateway mode. */
export async function main(): Promise<number> {
  const fixture = await startConformanceFixture({ port: 0 });
  const lines: string[] = [];
  let failed = 0;
  try {
    const direct = await runConformance(fixture.url);
    lines.push(report("direct (fixture alone)", direct));
    failed += direct.failed;
    for (const [label, mode, security] of THROUGH) {
      const stack = await startGatewayStack(mode, {
        extraServers: [`name: conformance, url: "${fixture.url}", prefix: ""`],
        security,
      });
      try {
        const run = await runConformance(stack.url);
        lines.push(report(`through the gateway, ${label}`, run));
        failed += run.failed;
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await fixture.close();
  }
  console.log(`@modelcontextprotocol/conformance 0.1.13, active server scenarios:\n${lines.join("\n")}`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
