import fc from "fast-check";
import {
  chatRoundRequest,
  CHAT_FIELDS,
  checkChatRequest,
  LlmError,
  offerTools,
  type McpToolInfo,
} from "@mcp-gateway/core";
import { anyText, lookAlike, prototypeName, shortName } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";

// The LLM proxy's mapping of MCP tool names to function names (core/src/llm/tool-offer.ts) and its filter of the
// client fields a provider request carries (core/src/llm/request-fields.ts), against docs/llm-proxy.md.

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

/** Tool names: function-safe ones, names that become one of them when made safe, prototype names, long, anything. */
const toolName = fc.oneof(
  shortName("ab_-.x/ "),
  shortName("ab_").chain(lookAlike),
  prototypeName(),
  fc.string({ unit: fc.constantFrom("a", "_", ".", "-"), minLength: 60, maxLength: 70 }),
  anyText(12),
);

const mappingCase: FuzzCase = {
  name: "offerTools: unique function-safe names, each for its own tool; a function-safe name keeps itself",
  property: () =>
    fc.property(fc.uniqueArray(toolName, { maxLength: 12 }), (names) => {
      const tools: McpToolInfo[] = names.map((name) => ({ name, inputSchema: {} }));
      const offered = offerTools(tools);
      const fns = offered.map((tool) => tool.fn);
      if (new Set(fns).size !== fns.length) throw new Error(`duplicate function names: ${JSON.stringify(fns)}`);
      offered.forEach((tool, n) => {
        if (!SAFE.test(tool.fn)) throw new Error(`unsafe function name ${JSON.stringify(tool.fn)}`);
        if (tool.mcpName !== names[n]) throw new Error("an offered function calls another tool than it stands for");
        if (SAFE.test(tool.mcpName) && tool.fn !== tool.mcpName)
          throw new Error(`function-safe ${JSON.stringify(tool.mcpName)} renamed to ${JSON.stringify(tool.fn)}`);
      });
    }),
};

const GATEWAY_SET = new Set([
  "model",
  "messages",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "stream",
  "stream_options",
]);
const fieldName = fc.oneof(
  fc.constantFrom(...CHAT_FIELDS.passed, ...CHAT_FIELDS.gateway),
  prototypeName(),
  anyText(10),
);

const fieldsCase: FuzzCase = {
  name: "chat fields: a provider request carries only passed fields and the gateway's own, never another prototype",
  property: () =>
    fc.property(fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), (extra) => {
      // Built by JSON.parse, as the handler does, so "__proto__" is an own key like any other.
      const body = JSON.parse(JSON.stringify({ ...extra, messages: [{ role: "user", content: "hi" }] })) as Record<
        string,
        unknown
      >;
      try {
        checkChatRequest(body);
      } catch (error: unknown) {
        if (error instanceof LlmError && error.status === 400) return;
        throw error;
      }
      const request = chatRoundRequest(body, {
        model: "m",
        messages: [],
        tools: undefined,
        maxTokens: 5,
        stream: false,
      });
      if (Object.getPrototypeOf(request) !== Object.prototype) throw new Error("the request's prototype was replaced");
      for (const key of Object.keys(request))
        if (
          !CHAT_FIELDS.passed.includes(key) &&
          !GATEWAY_SET.has(key) &&
          key !== "max_tokens" &&
          key !== "max_completion_tokens"
        )
          throw new Error(`field ${JSON.stringify(key)} reached the provider`);
    }),
};

/** The LLM proxy's property cases. */
export const fuzzCases: FuzzCase[] = [mappingCase, fieldsCase];
