import contentType from "content-type";
import { mediaTypeEssence } from "@modelcontextprotocol/sdk/shared/mediaType.js";

/** The two reply bodies Streamable HTTP defines. */
export type ReplyKind = "json" | "sse";

/** How a client will read an upstream reply, and whether the gateway can read it the same way. */
export interface ReplyFormat {
  /** JSON or SSE exactly as the MCP SDK client classifies the content-type; undefined for anything else. */
  kind: ReplyKind | undefined;
  /** A content-coding other than identity: the body cannot be read as it is. */
  encoded: boolean;
  /**
   * Why a reply under sanitization cannot be read with certainty (then it is refused, fail closed): a content-coding,
   * a media type that is neither JSON nor SSE, or a content-type only a lenient parser reads (clients may differ).
   */
  unreadable?: string;
}

const KINDS = new Map<string, ReplyKind>([
  ["application/json", "json"],
  ["text/event-stream", "sse"],
]);

// RFC 9110 parsing (the `content-type` package, which the SDK client itself uses first); undefined when malformed.
function strictEssence(header: string): string | undefined {
  try {
    return contentType.parse(header).type;
  } catch {
    return undefined;
  }
}

/**
 * Classifies a reply from its (lower-cased) headers as the client will: the media type is the SDK client's own
 * parse (`mediaTypeEssence`: case-insensitive, parameters ignored, never a substring search), so
 * `Application/JSON` is JSON and `application/json; profile="text/event-stream"` is JSON too. Duplicate headers
 * arrive joined with ", " and are malformed. Messages never echo header values (an upstream chooses them).
 */
export function replyFormat(headers: Readonly<Record<string, string | undefined>>): ReplyFormat {
  const header = headers["content-type"];
  const essence = header === undefined ? undefined : mediaTypeEssence(header);
  const kind = essence === undefined ? undefined : KINDS.get(essence);
  const encoding = headers["content-encoding"]?.trim().toLowerCase();
  const encoded = encoding !== undefined && encoding !== "" && encoding !== "identity";
  if (encoded) {
    return { kind, encoded, unreadable: "upstream reply is content-encoded; only uncompressed replies are sanitized" };
  }
  if (kind === undefined) {
    return { kind, encoded, unreadable: "upstream reply is neither application/json nor text/event-stream" };
  }
  // The SDK falls back to the text before the first ";" when parameters are malformed; another client may not.
  if (strictEssence(header ?? "") !== essence) {
    return { kind, encoded, unreadable: "upstream reply has a malformed content-type" };
  }
  return { kind, encoded };
}
