#!/usr/bin/env node
// The `mcp-gateway` command. A committed file (not dist/main.js, which only the build writes), so `npm ci` links it
// into node_modules/.bin and marks it executable in a fresh clone.
import { createRequire } from "node:module";

createRequire(import.meta.url)("../dist/main.js").runFromCommandLine();
