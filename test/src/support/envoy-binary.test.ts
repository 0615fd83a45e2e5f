import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envoyBinary, installedEnvoyPath, locateEnvoy, missingEnvoyError, pinnedEnvoyVersion } from "./envoy-binary";

describe("locating Envoy", () => {
  let dir: string;
  let fakeEnvoy: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "envoy-bin-"));
    fakeEnvoy = join(dir, "envoy");
    writeFileSync(fakeEnvoy, "#!/bin/sh\necho 'envoy  version: abc/9.9.9/Clean/RELEASE/BoringSSL'\n");
    chmodSync(fakeEnvoy, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pins one release in package.json and installs it under .tools/envoy/<release>", () => {
    expect(pinnedEnvoyVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installedEnvoyPath("1.2.3")).toMatch(/\/\.tools\/envoy\/1\.2\.3\/envoy\/_bin\/envoy$/);
  });

  it("prefers ENVOY_BIN over the install folder and PATH", () => {
    expect(locateEnvoy({ ENVOY_BIN: "/opt/envoy", PATH: dir }, fakeEnvoy)).toEqual({
      path: "/opt/envoy",
      source: "ENVOY_BIN",
    });
  });

  it("takes the install folder before PATH", () => {
    expect(locateEnvoy({ PATH: "/nowhere" }, fakeEnvoy)).toEqual({ path: fakeEnvoy, source: ".tools" });
  });

  it("falls back to envoy on PATH", () => {
    expect(locateEnvoy({ PATH: `/nowhere:${dir}` }, join(dir, "missing"))).toEqual({ path: fakeEnvoy, source: "PATH" });
  });

  it("finds nothing without any of them, and the error tells a developer how to get Envoy", () => {
    expect(locateEnvoy({ PATH: "/nowhere" }, join(dir, "missing"))).toBeUndefined();
    expect(missingEnvoyError("1.40.0").message).toContain("npm run envoy:install");
  });

  it("finds the real binary here and it reports the pinned release", () => {
    expect(envoyBinary().version).toBe(pinnedEnvoyVersion());
  });
});
