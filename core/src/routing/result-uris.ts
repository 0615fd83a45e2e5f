import { exposeResourceUri } from "../catalog/resource-uris";

/** A JSON object as parsed from a reply. */
export type Json = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export const isJson = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

// A content block naming a resource: a resource_link's own uri, an embedded resource's resource.uri.
function prefixBlock(block: unknown, prefix: string): unknown {
  if (!isJson(block)) return block;
  if (block["type"] === "resource_link" && typeof block["uri"] === "string")
    return { ...block, uri: exposeResourceUri(prefix, block["uri"]) };
  const resource = block["resource"];
  if (block["type"] === "resource" && isJson(resource) && typeof resource["uri"] === "string") {
    return { ...block, resource: { ...resource, uri: exposeResourceUri(prefix, resource["uri"]) } };
  }
  return block;
}

/**
 * Resource URIs inside a result, under the server's resource prefix (see `exposeResourceUri`), so the client can read
 * them back through the gateway: `resources/read` contents, resource blocks of tool results (`content`) and of prompt
 * messages.
 */
export function prefixResultUris(result: Json, prefix: string): Json {
  if (prefix === "") return result;
  let changed = false;
  // Arrays are copied only when an element changed, so a result without resource URIs stays the same object.
  const mapped = (items: unknown[], each: (item: unknown) => unknown): unknown[] => {
    const out = items.map(each);
    if (out.some((item, index) => item !== items[index])) changed = true;
    return out;
  };
  const prefixUri = (c: unknown): unknown =>
    isJson(c) && typeof c["uri"] === "string" ? { ...c, uri: exposeResourceUri(prefix, c["uri"]) } : c;
  const { contents, content, messages } = result;
  const out: Json = { ...result };
  if (Array.isArray(contents)) out["contents"] = mapped(contents, prefixUri);
  if (Array.isArray(content)) out["content"] = mapped(content, (block) => prefixBlock(block, prefix));
  if (Array.isArray(messages)) {
    out["messages"] = mapped(messages, (m) => {
      if (!isJson(m)) return m;
      const block = prefixBlock(m["content"], prefix);
      return block === m["content"] ? m : { ...m, content: block };
    });
  }
  return changed ? out : result;
}
