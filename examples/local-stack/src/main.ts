import { DEMO_KEYS, startLocalStack, type LocalStack } from "./local-stack";

/** The banner's lines on the LLM proxy: its base URL and a curl example, or how to turn it on. */
export function llmBanner(stack: LocalStack): string {
  if (!stack.llm)
    return "  LLM proxy                off: set OPENAI_API_KEY (optionally OPENAI_BASE_URL, OPENAI_MODEL) to try /v1";
  const body = JSON.stringify({ messages: [{ role: "user", content: "Weather in Paris tomorrow?" }] });
  const curl = `curl -s ${stack.llm.url}/chat/completions -H "Authorization: Bearer ${DEMO_KEYS.alice}" -H "Content-Type: application/json" -d '${body}'`;
  return `  LLM proxy                ${stack.llm.url} (OpenAI-compatible, model ${stack.llm.model}; docs/llm-proxy.md)\n    ${curl}`;
}

/** What `npm start` prints once the stack is up. */
export const banner = (stack: LocalStack): string => `
MCP gateway (standalone) is up: ${stack.gatewayUrl}
  web console              http://127.0.0.1:${stack.ports.gateway}/ui (sign in with a demo key below)

  upstream servers         weather    http://127.0.0.1:${stack.ports.weather}/mcp (2025-11-25, tools weather_*)
                           notes      http://127.0.0.1:${stack.ports.notes}/mcp (2025-11-25, tools notes_*)
                           everything http://127.0.0.1:${stack.ports.everything}/mcp (2025-11-25, @modelcontextprotocol/server-everything, tools everything_*)
                           calendar   http://127.0.0.1:${stack.ports.calendar}/mcp (2026-07-28, tools calendar_*; book_meeting asks to confirm)
  clients of either generation: 2025 (initialize, sessions) and 2026-07-28 (stateless); the gateway bridges both ways
  operations               http://127.0.0.1:${stack.ports.gateway}/status  /readyz  /metrics
${llmBanner(stack)}

Demo API keys (examples/gateway.yaml; send "Authorization: Bearer <key>"; never use them elsewhere):
  alice  ${DEMO_KEYS.alice}         weather tools only, 5 calls at once then 1/s
  bob    ${DEMO_KEYS.bob}   notes, everything and calendar tools
  ops    ${DEMO_KEYS.ops}             every tool
  audit log: .mcp-gateway/audit.log (one JSON line per call and denial)

Connect:
  SDK        new StreamableHTTPClientTransport(new URL("${stack.gatewayUrl}"),
               { requestInit: { headers: { authorization: "Bearer ${DEMO_KEYS.ops}" } } })
  Inspector  npx @modelcontextprotocol/inspector --cli ${stack.gatewayUrl} --transport http --method tools/list \\
               --header "Authorization: Bearer ${DEMO_KEYS.ops}"
             (the Inspector needs Node >= 22; \`npm run check:inspector\` fetches one)

Ctrl-C stops everything started here.
`;

/** `npm start`: runs the local stack until SIGINT/SIGTERM. */
export async function main(): Promise<void> {
  const stack = await startLocalStack();
  for (const process of stack.processes) process.child.stderr?.pipe(globalThis.process.stderr);
  console.log(banner(stack));
  const stop = (): void => {
    void stack.stop().then(() => globalThis.process.exit(0));
  };
  globalThis.process.once("SIGINT", stop);
  globalThis.process.once("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    globalThis.process.exit(1);
  });
}
