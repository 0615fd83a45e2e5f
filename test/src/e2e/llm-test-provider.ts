import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted model turn: tool calls, a text answer, an HTTP error, or no answer (until the client gives up). */
export type ModelTurn =
  | { toolCalls: { name: string; arguments: string }[] }
  | { text: string }
  | { status: number; body: string; headers?: Record<string, string> }
  | { hang: true }
  | { streamError: string };

/** A request the provider received: its path, body and Authorization header. */
export interface SeenRequest {
  path: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

/** A minimal OpenAI-compatible provider (Chat Completions and Responses, plain and streamed) for the LLM e2e tests. */
export interface TestProvider {
  url: string;
  seen: SeenRequest[];
  /** Requests of `hang` turns whose connection the gateway closed. */
  abandoned(): number;
  stop(): Promise<void>;
}

const USAGE = { input: 10, output: 5 };

function send(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
}

type AnswerTurn = Extract<ModelTurn, { text: string } | { toolCalls: unknown }>;

function chatMessage(turn: AnswerTurn): Record<string, unknown> {
  if ("text" in turn) return { role: "assistant", content: turn.text };
  const toolCalls = turn.toolCalls.map((call, n) => ({
    id: `call_${n}`,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  }));
  return { role: "assistant", content: null, tool_calls: toolCalls };
}

function chat(body: Record<string, unknown>, turn: AnswerTurn, response: ServerResponse): void {
  const finish = "text" in turn ? "stop" : "tool_calls";
  const base = { id: "chatcmpl-test", created: 1, model: body["model"] };
  const usage = {
    prompt_tokens: USAGE.input,
    completion_tokens: USAGE.output,
    total_tokens: USAGE.input + USAGE.output,
  };
  if (body["stream"] !== true) {
    const choice = { index: 0, message: chatMessage(turn), finish_reason: finish };
    return send(response, { ...base, object: "chat.completion", choices: [choice], usage });
  }
  const chunk = (delta: unknown, finishReason: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.write(chunk({ role: "assistant", content: "" }));
  if ("text" in turn) {
    const half = Math.ceil(turn.text.length / 2);
    response.write(chunk({ content: turn.text.slice(0, half) }));
    response.write(chunk({ content: turn.text.slice(half) }));
  } else {
    turn.toolCalls.forEach((call, index) => {
      const half = Math.ceil(call.arguments.length / 2);
      const first = { index, id: `call_${index}`, type: "function", function: { name: call.name, arguments: "" } };
      response.write(chunk({ tool_calls: [first] }));
      response.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(0, half) } }] }));
      response.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }));
    });
  }
  response.write(chunk({}, finish));
  const streamOptions = body["stream_options"] as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage)
    response.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [], usage })}\n\n`);
  response.end("data: [DONE]\n\n");
}

function responsesOutput(turn: AnswerTurn): Record<string, unknown>[] {
  if ("text" in turn)
    return [
      {
        type: "message",
        id: "msg_1",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: turn.text, annotations: [] }],
      },
    ];
  return turn.toolCalls.map((call, n) => ({
    type: "function_call",
    id: `fc_${n}`,
    call_id: `call_${n}`,
    name: call.name,
    arguments: call.arguments,
    status: "completed",
  }));
}

function responses(body: Record<string, unknown>, turn: AnswerTurn, response: ServerResponse): void {
  const usage = { input_tokens: USAGE.input, output_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output };
  const output = responsesOutput(turn);
  const done = {
    id: "resp_test",
    object: "response",
    created_at: 1,
    model: body["model"],
    status: "completed",
    output,
    usage,
  };
  if (body["stream"] !== true) return send(response, done);
  let sequence = 0;
  const event = (type: string, payload: Record<string, unknown>): void => {
    response.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...payload })}\n\n`);
  };
  response.writeHead(200, { "content-type": "text/event-stream" });
  const started = { ...done, status: "in_progress", output: [], usage: null };
  event("response.created", { response: started });
  event("response.in_progress", { response: started });
  output.forEach((item, index) => {
    if (item["type"] === "message") {
      const text = "text" in turn ? turn.text : "";
      event("response.output_item.added", {
        output_index: index,
        item: { ...item, status: "in_progress", content: [] },
      });
      const part = { type: "output_text", text: "", annotations: [] };
      event("response.content_part.added", { output_index: index, item_id: item["id"], content_index: 0, part });
      const half = Math.ceil(text.length / 2);
      for (const delta of [text.slice(0, half), text.slice(half)])
        event("response.output_text.delta", { output_index: index, item_id: item["id"], content_index: 0, delta });
      event("response.output_text.done", { output_index: index, item_id: item["id"], content_index: 0, text });
      event("response.content_part.done", {
        output_index: index,
        item_id: item["id"],
        content_index: 0,
        part: { ...part, text },
      });
    } else {
      event("response.output_item.added", {
        output_index: index,
        item: { ...item, arguments: "", status: "in_progress" },
      });
      event("response.function_call_arguments.delta", {
        output_index: index,
        item_id: item["id"],
        delta: item["arguments"],
      });
      event("response.function_call_arguments.done", {
        output_index: index,
        item_id: item["id"],
        arguments: item["arguments"],
      });
    }
    event("response.output_item.done", { output_index: index, item });
  });
  event("response.completed", { response: done });
  response.end();
}

/** A stream that starts (Chat: one text delta; Responses: response.created) and then reports an error. */
function failMidStream(path: string, message: string, response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  if (path.endsWith("/chat/completions")) {
    const chunk = { id: "chatcmpl-test", object: "chat.completion.chunk", created: 1, model: "m" };
    response.write(`data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: "partial" } }] })}\n\n`);
    response.end(`data: ${JSON.stringify({ error: { message, type: "server_error" } })}\n\n`);
    return;
  }
  const created = { type: "response.created", sequence_number: 0, response: { id: "resp_x", status: "in_progress" } };
  response.write(`event: response.created\ndata: ${JSON.stringify(created)}\n\n`);
  response.end(`event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: 1, message })}\n\n`);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}

/** Starts the provider on 127.0.0.1; `script` decides each turn from the request (path, body). */
export async function startTestProvider(script: (request: SeenRequest) => ModelTurn): Promise<TestProvider> {
  const seen: SeenRequest[] = [];
  let abandoned = 0;
  const server: Server = createServer((request, response) => {
    void readJson(request).then((body) => {
      const entry = { path: request.url ?? "", body, authorization: request.headers.authorization };
      seen.push(entry);
      const turn = script(entry);
      if ("streamError" in turn) return failMidStream(entry.path, turn.streamError, response);
      if ("hang" in turn) return void response.on("close", () => (abandoned += 1));
      if ("status" in turn) return void response.writeHead(turn.status, turn.headers ?? {}).end(turn.body);
      if (entry.path.endsWith("/chat/completions")) chat(body, turn, response);
      else if (entry.path.endsWith("/responses")) responses(body, turn, response);
      else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    abandoned: () => abandoned,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
