#!/usr/bin/env node
// Assembles the Envoy API protos the gateway needs into protos/gen (git-ignored), from the copies shipped in the npm
// package @grpc/grpc-js-xds (deps/). Only the import closure of the root files below is copied, so `buf build` and
// `buf lint` run over exactly what the router and the Envoy config check load. Third-party proto text is never
// committed; this script runs on install and before every build.
import { createRequire } from "node:module";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The protos the gateway loads directly; everything they import is pulled in. */
const ROOTS = [
  "envoy/service/ext_proc/v3/external_processor.proto",
  "envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto",
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
];

/** Provided by buf and protobufjs themselves; never copied. */
const BUILTIN_PREFIX = "google/protobuf/";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, "..", "protos", "gen");
const require = createRequire(import.meta.url);

function findDepsDir() {
  const pkgJson = require.resolve("@grpc/grpc-js-xds/package.json");
  const deps = join(dirname(pkgJson), "deps");
  if (!existsSync(deps)) {
    throw new Error(`@grpc/grpc-js-xds has no deps/ folder at ${deps}; reinstall it`);
  }
  return deps;
}

function includeDirs(deps) {
  return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(deps, d));
}

function locate(dirs, file) {
  for (const dir of dirs) {
    const candidate = join(dir, file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`proto not found in @grpc/grpc-js-xds deps: ${file}`);
}

const IMPORT_RE = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

function closure(dirs) {
  const found = new Map();
  const queue = [...ROOTS];
  while (queue.length > 0) {
    const file = queue.pop();
    if (found.has(file) || file.startsWith(BUILTIN_PREFIX)) continue;
    const path = locate(dirs, file);
    found.set(file, path);
    for (const match of readFileSync(path, "utf8").matchAll(IMPORT_RE)) queue.push(match[1]);
  }
  return found;
}

// @grpc/grpc-js-xds pairs the Envoy API with an older protoc-gen-validate whose StringRules has no `ignore_empty`.
// Those annotations are validation hints that nothing here evaluates, so the key is dropped where the bundled
// validate.proto cannot resolve it; the copy is otherwise byte-for-byte.
const IGNORE_EMPTY_RE = /\s*ignore_empty:\s*true/g;

function copyProtos(files) {
  const validateKnowsIgnoreEmpty = readFileSync(files.get("validate/validate.proto"), "utf8").includes("ignore_empty");
  for (const [relative, source] of files) {
    const target = join(outDir, relative);
    mkdirSync(dirname(target), { recursive: true });
    const text = readFileSync(source, "utf8");
    if (validateKnowsIgnoreEmpty || !IGNORE_EMPTY_RE.test(text)) {
      cpSync(source, target);
    } else {
      writeFileSync(target, text.replace(IGNORE_EMPTY_RE, ""));
    }
    IGNORE_EMPTY_RE.lastIndex = 0;
  }
}

function main() {
  const files = closure(includeDirs(findDepsDir()));
  rmSync(outDir, { recursive: true, force: true });
  copyProtos(files);
  console.log(`assemble-protos: ${files.size} files from @grpc/grpc-js-xds into protos/gen`);
}

main();
