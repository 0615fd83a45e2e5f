import type { CallToolResult, GetPromptResult, ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";

type Block = CallToolResult["content"][number];
type ResourceContents = ReadResourceResult["contents"][number];

/** Only media types a browser decodes as pictures or sound, never as a document (no SVG: it can carry script). */
const SAFE_IMAGE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;
const SAFE_AUDIO = /^audio\/(mpeg|mp3|wav|x-wav|ogg|webm|aac|flac|mp4)$/;

/** A data: URL for base64 data, or undefined when the media type is not one the console shows. */
function mediaUrl(mimeType: string, data: string, safe: RegExp): string | undefined {
  return safe.test(mimeType.toLowerCase()) && /^[A-Za-z0-9+/=\s]*$/.test(data)
    ? `data:${mimeType};base64,${data}`
    : undefined;
}

/** Text exactly as sent: a text node in a <pre>, never parsed as HTML. */
function Text({ text }: { text: string }) {
  return <pre class="content-text">{text}</pre>;
}

function ResourceBody({ contents }: { contents: ResourceContents }) {
  const label = `${contents.uri}${contents.mimeType ? ` (${contents.mimeType})` : ""}`;
  if ("text" in contents && typeof contents.text === "string")
    return (
      <figure class="content-resource">
        <figcaption>{label}</figcaption>
        <Text text={contents.text} />
      </figure>
    );
  const blob = "blob" in contents && typeof contents.blob === "string" ? contents.blob : "";
  const image = contents.mimeType ? mediaUrl(contents.mimeType, blob, SAFE_IMAGE) : undefined;
  return (
    <figure class="content-resource">
      <figcaption>{label}</figcaption>
      {image ? (
        <img src={image} alt={`image ${contents.uri}`} />
      ) : (
        <p>{blob.length} base64 characters of binary data</p>
      )}
    </figure>
  );
}

/** One content block by type: text, image, audio, embedded resource, resource link; anything else as JSON text. */
export function ContentBlock({ block }: { block: Block }) {
  switch (block.type) {
    case "text":
      return <Text text={block.text} />;
    case "image": {
      const url = mediaUrl(block.mimeType, block.data, SAFE_IMAGE);
      return url ? (
        <img class="content-image" src={url} alt={`image (${block.mimeType})`} />
      ) : (
        <Text text={`[image of type ${block.mimeType}, not shown]`} />
      );
    }
    case "audio": {
      const url = mediaUrl(block.mimeType, block.data, SAFE_AUDIO);
      return url ? (
        <audio class="content-audio" controls src={url} aria-label={`audio (${block.mimeType})`} />
      ) : (
        <Text text={`[audio of type ${block.mimeType}, not shown]`} />
      );
    }
    case "resource":
      return <ResourceBody contents={block.resource} />;
    case "resource_link":
      return <Text text={`resource link: ${block.uri}${block.description ? ` (${block.description})` : ""}`} />;
    default:
      return <Text text={JSON.stringify(block, null, 2)} />;
  }
}

/** A tool's result: an error flag, every content block, then structured content as JSON text. */
export function ToolResultView({ result }: { result: CallToolResult }) {
  return (
    <section class={result.isError ? "result error" : "result"} aria-label="Tool result">
      {result.isError ? <p class="refusal-title">The tool reported an error</p> : null}
      {result.content.map((block, i) => (
        <ContentBlock key={i} block={block} />
      ))}
      {result.structuredContent !== undefined ? (
        <figure>
          <figcaption>Structured content</figcaption>
          <Text text={JSON.stringify(result.structuredContent, null, 2)} />
        </figure>
      ) : null}
    </section>
  );
}

/** A resource read: each of its contents. */
export function ResourceView({ result }: { result: ReadResourceResult }) {
  return (
    <section class="result" aria-label="Resource contents">
      {result.contents.map((contents, i) => (
        <ResourceBody key={i} contents={contents} />
      ))}
    </section>
  );
}

/** A prompt's messages, each with its role. */
export function PromptView({ result }: { result: GetPromptResult }) {
  return (
    <section class="result" aria-label="Prompt messages">
      {result.description ? <p>{result.description}</p> : null}
      {result.messages.map((message, i) => (
        <figure key={i}>
          <figcaption>{message.role}</figcaption>
          <ContentBlock block={message.content as Block} />
        </figure>
      ))}
    </section>
  );
}
