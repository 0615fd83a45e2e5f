// An OpenAI-compatible Chat Completions server backed by a real model: node-llama-cpp (ESM-only, hence its own
// process) runs the GGUF file named by LLAMA_PROVIDER_MODEL on the CPU with its prebuilt binary (never a source
// build), imported from LLAMA_PROVIDER_RUNTIME: the install `npm run model:fetch` keeps in the cache outside the
// repository (node-llama-cpp and its linux-x64 binary only, not the 700 MB of other platforms' binaries npm would add). It adapts the real model to the published wire format; nothing is scripted. Serves POST
// /v1/chat/completions (non-streaming and SSE) and GET /v1/models on 127.0.0.1, prints `llama-provider-ready {url}`.
import { Buffer } from "node:buffer";
import console from "node:console";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";

const runtime = join(process.env.LLAMA_PROVIDER_RUNTIME ?? "", "node_modules", "node-llama-cpp", "dist", "index.js");
const { getLlama, LlamaChat } = await import(pathToFileURL(runtime).href);

const MODEL_ID = process.env.LLAMA_PROVIDER_MODEL_ID ?? "local-model";
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath: process.env.LLAMA_PROVIDER_MODEL });
// One thread: on 2 shared, loaded cores llama.cpp's threads spin-wait on each other (20 tokens took 19 s with two
// threads and 0.3 s with one, measured here).
const context = await model.createContext({ contextSize: 4096, threads: 1 });
const sequence = context.getSequence();
const chat = new LlamaChat({ contextSequence: sequence });
let queue = Promise.resolve();

/** OpenAI messages → node-llama-cpp chat history (tool results are folded into the assistant's function calls). */
function toHistory(messages) {
  const history = [];
  const results = new Map(messages.filter((m) => m.role === "tool").map((m) => [m.tool_call_id, text(m.content)]));
  for (const message of messages) {
    if (message.role === "system" || message.role === "developer")
      history.push({ type: "system", text: text(message.content) });
    else if (message.role === "user") history.push({ type: "user", text: text(message.content) });
    else if (message.role === "assistant") {
      const response = message.content ? [text(message.content)] : [];
      for (const call of message.tool_calls ?? [])
        response.push({
          type: "functionCall",
          name: call.function.name,
          params: JSON.parse(call.function.arguments || "{}"),
          result: results.get(call.id) ?? "",
        });
      history.push({ type: "model", response });
    }
  }
  history.push({ type: "model", response: [] });
  return history;
}

function text(content) {
  if (typeof content === "string") return content;
  return (content ?? []).map((part) => part.text ?? "").join("");
}

/** The grammar forcing a call when `tool_choice` is "required" or names a function. */
async function forcedCallGrammar(tools, choice) {
  const wanted = typeof choice === "object" ? tools.filter((t) => t.function.name === choice.function?.name) : tools;
  if (wanted.length === 0) throw Object.assign(new Error("tool_choice names no tool in tools"), { status: 400 });
  const call = (t) => ({
    type: "object",
    properties: { name: { const: t.function.name }, arguments: t.function.parameters ?? { type: "object" } },
  });
  return llama.createGrammarForJsonSchema(wanted.length === 1 ? call(wanted[0]) : { oneOf: wanted.map(call) });
}

/**
 * Calls the model wrote as bare JSON (`{"name": …, "arguments": {…}}`) without the `<tool_call>` tags its chat
 * template asks for, as Qwen2.5-Coder-0.5B does: one call per line, or one pretty-printed call (both possibly in a
 * ```json fence). Empty unless everything is a call to a tool on offer.
 */
function bareCalls(text, functions) {
  const body = text.trim().replace(/^```(?:json)?\s*|```\s*$/g, "");
  const lines = body
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const calls = [];
  let whole;
  try {
    whole = JSON.parse(body);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) lines.splice(0, lines.length, JSON.stringify(whole));
  for (const line of lines) {
    let call;
    try {
      call = JSON.parse(line);
    } catch {
      return [];
    }
    if (typeof call?.name !== "string" || !Object.hasOwn(functions, call.name)) return [];
    calls.push({ name: call.name, args: call.arguments ?? {} });
  }
  return calls;
}

/** Runs one completion; `onText` receives streamed text. */
async function complete(body, onText) {
  await sequence.clearHistory();
  const before = sequence.tokenMeter.getState();
  const tools = (body.tools ?? []).filter((tool) => tool.type === "function");
  const choice = body.tool_choice ?? "auto";
  const forced = tools.length > 0 && (choice === "required" || typeof choice === "object");
  const options = {
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? 256,
    temperature: body.temperature ?? 0,
    // With tools on offer the text may turn out to be a call, so it is sent whole at the end, not streamed.
    onTextChunk: tools.length > 0 && choice !== "none" ? undefined : onText,
  };
  const functions = Object.fromEntries(
    tools.map((t) => [t.function.name, { description: t.function.description, params: t.function.parameters }]),
  );
  let history = toHistory(body.messages ?? []);
  if (forced) {
    options.grammar = await forcedCallGrammar(tools, choice);
    // The grammar shapes the call; the model still needs the tools described, in its own chat format.
    history = chat.chatWrapper.addAvailableFunctionsSystemMessageToHistory(history, functions, {
      documentParams: true,
    });
  } else if (tools.length > 0 && choice !== "none") options.functions = functions;
  const result = await chat.generateResponse(history, options);
  const after = sequence.tokenMeter.getState();
  const calls = forced
    ? [JSON.parse(result.response)].map((c) => ({ name: c.name, args: c.arguments }))
    : (result.functionCalls ?? []).map((c) => ({ name: c.functionName, args: c.params }));
  if (options.functions && calls.length === 0) calls.push(...bareCalls(result.response, functions));
  const stop = result.metadata.stopReason;
  return {
    content: calls.length > 0 ? null : result.response,
    toolCalls: calls.map((c) => ({
      id: `call_${randomUUID().replaceAll("-", "")}`,
      type: "function",
      function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
    })),
    finishReason: calls.length > 0 ? "tool_calls" : stop === "maxTokens" ? "length" : "stop",
    usage: {
      prompt_tokens: after.usedInputTokens - before.usedInputTokens,
      completion_tokens: after.usedOutputTokens - before.usedOutputTokens,
      total_tokens: after.usedInputTokens - before.usedInputTokens + (after.usedOutputTokens - before.usedOutputTokens),
    },
  };
}

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function chatCompletions(body, res) {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, created, model: body.model ?? MODEL_ID };
  if (!body.stream) {
    const out = await complete(body);
    const message = { role: "assistant", content: out.content, refusal: null };
    if (out.toolCalls.length > 0) message.tool_calls = out.toolCalls;
    const choice = { index: 0, message, logprobs: null, finish_reason: out.finishReason };
    return sendJson(res, 200, { ...base, object: "chat.completion", choices: [choice], usage: out.usage });
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta, finish = null) =>
    res.write(
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`,
    );
  chunk({ role: "assistant", content: "" });
  let streamed = false;
  const out = await complete(body, (piece) => {
    streamed = true;
    chunk({ content: piece });
  });
  if (out.toolCalls.length > 0) chunk({ tool_calls: out.toolCalls.map((call, index) => ({ index, ...call })) });
  else if (!streamed && out.content) chunk({ content: out.content });
  chunk({}, out.finishReason);
  if (body.stream_options?.include_usage)
    res.write(
      `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage: out.usage })}\n\n`,
    );
  res.end("data: [DONE]\n\n");
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/v1/models")
    return sendJson(res, 200, {
      object: "list",
      data: [{ id: MODEL_ID, object: "model", created: 0, owned_by: "local" }],
    });
  if (req.method !== "POST" || req.url !== "/v1/chat/completions")
    return sendJson(res, 404, {
      error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" },
    });
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    // One generation at a time: the model has one context sequence.
    queue = queue.then(async () => {
      try {
        await chatCompletions(JSON.parse(Buffer.concat(chunks).toString("utf8")), res);
      } catch (error) {
        if (res.headersSent) return void res.end();
        sendJson(res, error.status ?? 500, {
          error: { message: String(error.message), type: "invalid_request_error" },
        });
      }
    });
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
console.log(`llama-provider-ready ${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/v1` })}`);
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
