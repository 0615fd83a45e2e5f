import { createGatewayContext } from "./gateway-context";
import { parseConfig } from "./config/load";
import { createLogger } from "./logging";

// Running open must be a visible choice: every process started with `auth: none` says so at start, once.
async function startupWarnings(access: string): Promise<string[]> {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", sink: { write: (line: string) => lines.push(line) } });
  const yaml = `version: 1\n${access}\nservers: [{ name: a, url: "http://127.0.0.1:1/mcp" }]\nsecurity: { allowedHosts: [localhost] }\n`;
  const context = await createGatewayContext(parseConfig(yaml, {}), { logger });
  await context.close();
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe("createGatewayContext start-up warnings", () => {
  it("warns once that the gateway is open with auth: none", async () => {
    const warnings = (await startupWarnings("auth: none")).filter((msg) => msg.startsWith("auth: none"));
    expect(warnings).toEqual([
      "auth: none — every client may call every tool without credentials; configure consumers before production",
    ]);
  });

  it("does not warn about auth when consumers are configured", async () => {
    const access = `consumers: [{ name: a, policy: p, keyHash: "sha256:${"0".repeat(64)}" }]\npolicies: { p: { tools: ["*"] } }`;
    expect((await startupWarnings(access)).some((msg) => msg.includes("auth"))).toBe(false);
  });
});
