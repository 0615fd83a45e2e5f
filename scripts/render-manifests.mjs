// `npm run k8s:manifests`: renders deploy/manifests/ from the Helm chart (deploy/helm/mcp-gateway) with the helm that
// `npm run k8s:install` builds; a test checks the committed files equal a fresh render. The session Secret is left to
// the operator (sessionSecret.existingSecret), so the output has no random value.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = execFileSync("node", [join(root, "scripts", "install-k8s.mjs")], { encoding: "utf8" }).trim();
const { helm } = JSON.parse(
  execFileSync("node", ["-p", "JSON.stringify(require('./package.json').config.k8s)"], { cwd: root, encoding: "utf8" }),
);

/** The variants rendered: file name and extra `--set` values. */
const VARIANTS = [
  ["mcp-gateway.yaml", []],
  ["mcp-gateway-split.yaml", ["mode=split", "redis.enabled=true", "envoy.enabled=true"]],
];

// The test renders into a temporary folder (MANIFESTS_OUT) and compares with the committed files.
const out = process.env.MANIFESTS_OUT || join(root, "deploy", "manifests");
for (const [file, sets] of VARIANTS) {
  const args = ["template", "mcp-gateway", join(root, "deploy", "helm", "mcp-gateway"), "--namespace", "mcp-gateway"];
  args.push("--include-crds", "--set", "sessionSecret.existingSecret=mcp-gateway-session");
  for (const set of sets) args.push("--set", set);
  const yaml = execFileSync(join(dir, `helm-${helm}`), args, { encoding: "utf8" });
  writeFileSync(
    join(out, file),
    `# Rendered by \`npm run k8s:manifests\` from deploy/helm/mcp-gateway; do not edit.\n${yaml}`,
  );
  console.error(`render-manifests: ${join(out, file)}`);
}
