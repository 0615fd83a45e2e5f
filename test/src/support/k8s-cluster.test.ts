import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { k8sPins, k8sTools } from "./k8s-cluster";

describe("the Kubernetes test tools", () => {
  it("are missing from an empty cache with an error naming the command that builds them (tests fail, never skip)", () => {
    const cache = mkdtempSync(join(tmpdir(), "k8s-cache-"));
    try {
      expect(() => k8sTools({ MCP_GATEWAY_CACHE: cache })).toThrow(/run `npm run k8s:install`/);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("are pinned in package.json config.k8s", () => {
    const pins = k8sPins();
    for (const key of ["kubernetes", "etcd", "helm", "gatewayApi", "envoyGateway", "istioApi"] as const)
      expect(pins[key]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("are all in the cache after `npm run k8s:install`", () => {
    const tools = k8sTools();
    expect(tools.kubeApiserver).toContain(join("k8s", k8sPins().kubernetes));
  });
});
