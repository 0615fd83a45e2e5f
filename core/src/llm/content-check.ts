import { quoteCapped } from "../text-cap";
import { invalidRequest } from "./llm-error";

type Json = Record<string, unknown>;

const INLINE_ONLY = "send the content inline (a data: URL or file_data)";

/**
 * Content a client may send: text, and images, audio and files inline. A URL would make the provider fetch it (from
 * inside the operator's network for a self-hosted provider) and a `file_id` names a file stored at the provider under
 * the gateway's key, shared by every consumer: both refused.
 */
function checkPart(part: unknown, param: string): void {
  if (typeof part !== "object" || part === null || Array.isArray(part))
    throw invalidRequest(`${param} must be a content part object`, param);
  const p = part as Json;
  switch (p["type"]) {
    case "text":
    case "input_text":
    case "output_text":
    case "refusal":
    case "input_audio":
      return;
    case "image_url":
      return checkInlineUrl((p["image_url"] as Json | undefined)?.["url"], `${param}.image_url.url`);
    case "input_image":
      if (p["file_id"] !== undefined && p["file_id"] !== null) throw storedFile(`${param}.file_id`);
      return checkInlineUrl(p["image_url"], `${param}.image_url`);
    case "file":
      return checkFile((p["file"] ?? {}) as Json, `${param}.file`);
    case "input_file":
      return checkFile(p, param);
    default:
      throw invalidRequest(`${param}: content of type ${quoteCapped(String(p["type"]))} is not supported`, param);
  }
}

function checkInlineUrl(url: unknown, param: string): void {
  if (typeof url !== "string" || !/^data:/i.test(url))
    throw invalidRequest(`${param} must be a data: URL: the gateway does not let the provider fetch URLs`, param);
}

function storedFile(param: string): Error {
  return invalidRequest(
    `${param}: files stored at the provider are not supported through the gateway; ${INLINE_ONLY}`,
    param,
  );
}

function checkFile(file: Json, param: string): void {
  if (file["file_id"] !== undefined && file["file_id"] !== null) throw storedFile(`${param}.file_id`);
  if (file["file_url"] !== undefined && file["file_url"] !== null)
    throw invalidRequest(`${param}.file_url: the gateway does not let the provider fetch URLs; ${INLINE_ONLY}`, param);
}

function checkContent(content: unknown, param: string): void {
  if (content === undefined || content === null || typeof content === "string") return;
  if (!Array.isArray(content)) throw invalidRequest(`${param} must be a string or an array of content parts`, param);
  content.forEach((part, n) => checkPart(part, `${param}[${n}]`));
}

function asObject(value: unknown, param: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidRequest(`${param} must be an object`, param);
  return value as Json;
}

/** Checks every Chat Completions message's content (see {@link checkPart}). */
export function checkChatMessages(messages: readonly unknown[]): void {
  messages.forEach((message, n) => {
    const m = asObject(message, `messages[${n}]`);
    checkContent(m["content"], `messages[${n}].content`);
  });
}

/** Input item types a client may send: the conversation, its function calls and results, and the gateway's own items. */
const INPUT_ITEM_TYPES = ["message", "function_call", "function_call_output", "reasoning", "mcp_call"];

/**
 * Checks Responses API input items: only the types above (an `item_reference` names an item stored at the provider,
 * hosted tools' items are the provider's own calls), content as {@link checkPart} allows.
 */
export function checkResponsesInput(items: readonly unknown[]): void {
  items.forEach((item, n) => {
    const param = `input[${n}]`;
    const i = asObject(item, param);
    const type = i["type"] ?? (i["role"] === undefined ? undefined : "message");
    if (typeof type !== "string" || !INPUT_ITEM_TYPES.includes(type))
      throw invalidRequest(
        `${param}: input items of type ${quoteCapped(String(type))} are not supported through the gateway`,
        param,
      );
    if (type === "message") checkContent(i["content"], `${param}.content`);
    if (type === "function_call_output") checkContent(i["output"], `${param}.output`);
  });
}
