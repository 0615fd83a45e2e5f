import { randomUUID } from "node:crypto";
import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  inputRequired,
  type InputRequest,
  type InputRequests,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { textResult } from "./fixture-tool";
import { accepted, type ModernTool } from "./modern-fixture-tools";

// The tools of the input-required-result-* scenarios (SEP-2322). Each answers input_required until the retry carries
// the responses it needs; state that must survive between rounds travels in the HMAC-sealed requestState (the
// server's requestState.verify hook rejects a tampered or expired one with -32602 before the handler runs).

function askFor(field: string, type: "string" | "boolean", message: string): InputRequest {
  return inputRequired.elicit({
    message,
    requestedSchema: {
      type: "object",
      properties: { [field]: type === "string" ? { type: "string" } : { type: "boolean" } },
      required: [field],
    },
  });
}

const ASK_NAME = (): InputRequest => askFor("name", "string", "What is your name?");
const ASK_CONFIRM = (): InputRequest => askFor("ok", "boolean", "Please confirm");
const SAMPLE = (text: string, maxTokens: number): InputRequest =>
  inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text } }], maxTokens });

function samplingText(ctx: ServerContext, key: string): string | undefined {
  const answer = ctx.mcpReq.inputResponses?.[key] as { content?: { text?: unknown } } | undefined;
  return typeof answer?.content?.text === "string" ? answer.content.text : undefined;
}

function rootCount(ctx: ServerContext, key: string): number | undefined {
  const roots = (ctx.mcpReq.inputResponses?.[key] as { roots?: unknown } | undefined)?.roots;
  return Array.isArray(roots) ? roots.length : undefined;
}

function sealedState(ctx: ServerContext): Record<string, unknown> | undefined {
  return ctx.mcpReq.requestState<Record<string, unknown>>();
}

async function multiRound(ctx: ServerContext, mint: ModernToolMint): ReturnType<ModernTool["run"]> {
  const state = sealedState(ctx);
  const round = state?.["tool"] === "multi_round" && typeof state["round"] === "number" ? state["round"] : 0;
  if (round === 0) {
    return inputRequired({
      inputRequests: { step1: askFor("name", "string", "Step 1: What is your name?") },
      requestState: await mint({ tool: "multi_round", round: 1 }),
    });
  }
  if (round === 1) {
    const name = accepted(ctx, "step1")?.["name"];
    return inputRequired({
      inputRequests: { step2: askFor("color", "string", "Step 2: What is your favorite color?") },
      requestState: await mint({ tool: "multi_round", round: 2, name: typeof name === "string" ? name : "unknown" }),
    });
  }
  const color = accepted(ctx, "step2")?.["color"];
  return textResult(
    `Multi-round complete: ${String(state?.["name"])} likes ${typeof color === "string" ? color : "?"}`,
  );
}

type ModernToolMint = (payload: Record<string, unknown>) => Promise<string>;

// Only the kinds of input the request's declared client capabilities cover (sampling and roots are deprecated
// capability names in 2026-07-28 but still the wire vocabulary the envelope carries).
function capabilityAware(ctx: ServerContext): ReturnType<ModernTool["run"]> {
  if (ctx.mcpReq.inputResponses !== undefined) return Promise.resolve(textResult("Capability-aware input fulfilled"));
  // The SDK has validated the envelope; its type here is opaque, so read the capability object as plain data.
  const envelope = ctx.mcpReq.envelope as Record<string, Record<string, unknown> | undefined> | undefined;
  const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY];
  const inputRequests: InputRequests = {};
  if (declared?.elicitation !== undefined) inputRequests["user_name"] = ASK_NAME();
  if (declared?.sampling !== undefined) inputRequests["greeting"] = SAMPLE("Generate a short greeting", 50);
  if (declared?.roots !== undefined) inputRequests["client_roots"] = inputRequired.listRoots();
  if (Object.keys(inputRequests).length === 0) return Promise.resolve(textResult("No declared capability takes input"));
  return Promise.resolve(inputRequired({ inputRequests }));
}

/** The input-required tools, each named as its scenario calls it. */
export const MRTR_TOOLS: readonly ModernTool[] = [
  {
    name: "test_input_required_result_elicitation",
    description: "Asks for the caller's name (elicitation) before greeting",
    run: async (_a, ctx) => {
      const name = accepted(ctx, "user_name")?.["name"];
      if (typeof name === "string") return textResult(`Hello, ${name}!`);
      return inputRequired({ inputRequests: { user_name: ASK_NAME() } });
    },
  },
  {
    name: "test_input_required_result_sampling",
    description: "Asks for an LLM completion (sampling) before answering",
    run: async (_a, ctx) => {
      const text = samplingText(ctx, "capital_question");
      if (text !== undefined) return textResult(`Sampling response: ${text}`);
      return inputRequired({ inputRequests: { capital_question: SAMPLE("What is the capital of France?", 100) } });
    },
  },
  {
    name: "test_input_required_result_list_roots",
    description: "Asks for the client's roots (roots/list) before answering",
    run: async (_a, ctx) => {
      const count = rootCount(ctx, "client_roots");
      if (count !== undefined) return textResult(`Client exposed ${count} root(s)`);
      return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    },
  },
  {
    name: "test_input_required_result_request_state",
    description: "Round-trips sealed requestState alongside an elicitation",
    run: async (_a, ctx, shared) => {
      if (accepted(ctx, "confirm") === undefined) {
        const requestState = await shared.requestState.mint({ tool: "request_state", nonce: randomUUID() });
        return inputRequired({ inputRequests: { confirm: ASK_CONFIRM() }, requestState });
      }
      if (sealedState(ctx)?.["tool"] !== "request_state") {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, "requestState missing or not minted for this tool");
      }
      return textResult("state-ok: requestState verified and confirmation received");
    },
  },
  {
    name: "test_input_required_result_multiple_inputs",
    description: "Asks for elicitation, sampling and roots input in one round",
    run: async (_a, ctx, shared) => {
      const name = accepted(ctx, "user_name")?.["name"];
      const greeting = samplingText(ctx, "greeting");
      const roots = rootCount(ctx, "client_roots");
      if (typeof name === "string" && greeting !== undefined && roots !== undefined) {
        return textResult(`${greeting} ${name}: ${roots} root(s) visible`);
      }
      return inputRequired({
        inputRequests: {
          user_name: ASK_NAME(),
          greeting: SAMPLE("Generate a greeting", 50),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await shared.requestState.mint({ tool: "multiple_inputs", nonce: randomUUID() }),
      });
    },
  },
  {
    name: "test_input_required_result_multi_round",
    description: "Two elicitation rounds with evolving sealed requestState",
    run: async (_a, ctx, shared) =>
      multiRound(ctx, (payload) => shared.requestState.mint({ ...payload, nonce: randomUUID() })),
  },
  {
    name: "test_input_required_result_tampered_state",
    description: "Completes only with a verified requestState (tampered state never reaches the handler)",
    run: async (_a, ctx, shared) => {
      if (sealedState(ctx) !== undefined && accepted(ctx, "confirm") !== undefined) {
        return textResult("integrity-ok: requestState verified");
      }
      const requestState = await shared.requestState.mint({ tool: "tampered_state", nonce: randomUUID() });
      return inputRequired({ inputRequests: { confirm: ASK_CONFIRM() }, requestState });
    },
  },
  {
    name: "test_input_required_result_capabilities",
    description: "Requests only the input kinds the declared client capabilities cover",
    run: (_a, ctx) => capabilityAware(ctx),
  },
];
