import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from "@modelcontextprotocol/sdk/types.js";
import { RED_PIXEL_PNG_BASE64 } from "./fixture-media";
import type { FixtureSession } from "./fixture-session";

/** JSON-RPC code the MCP spec gives "resource not found". */
export const RESOURCE_NOT_FOUND = -32002;

type ResourceContents = ReadResourceResult["contents"][number];

/** A direct resource and the contents `resources/read` returns for it. */
interface FixtureResource {
  readonly definition: Resource;
  readonly contents: ResourceContents;
}

function textResource(uri: string, name: string, description: string, text: string): FixtureResource {
  return {
    definition: { uri, name, description, mimeType: "text/plain" },
    contents: { uri, mimeType: "text/plain", text },
  };
}

/** Every direct resource, in the order `resources/list` returns them. */
export const FIXTURE_RESOURCES: readonly FixtureResource[] = [
  textResource(
    "test://static-text",
    "Static Text Resource",
    "A static text resource for testing",
    "This is the content of the static text resource.",
  ),
  {
    definition: {
      uri: "test://static-binary",
      name: "Static Binary Resource",
      description: "A static binary resource (1x1 PNG) for testing",
      mimeType: "image/png",
    },
    contents: { uri: "test://static-binary", mimeType: "image/png", blob: RED_PIXEL_PNG_BASE64 },
  },
  textResource(
    "test://watched-resource",
    "Watched Resource",
    "A resource to subscribe to (test_watched_resource_update notifies its subscribers)",
    "Watched resource content",
  ),
];

/** The one resource template: `{id}` is substituted into the JSON it reads as. */
export const DATA_TEMPLATE: ResourceTemplate = {
  uriTemplate: "test://template/{id}/data",
  name: "Template Data Resource",
  description: "A resource template whose id is substituted into the data",
  mimeType: "application/json",
};

const BY_URI = new Map(FIXTURE_RESOURCES.map((resource) => [resource.definition.uri, resource.contents]));
const DATA_URI = /^test:\/\/template\/([^/]+)\/data$/;

/** The contents of `uri` (a direct resource or an instance of the template); unknown URIs are -32002. */
export function readFixtureResource(uri: string): ResourceContents {
  const contents = BY_URI.get(uri);
  if (contents !== undefined) return contents;
  const id = DATA_URI.exec(uri)?.[1];
  if (id === undefined) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
  const data = { id: decodeURIComponent(id), templateTest: true, data: `Data for ID: ${decodeURIComponent(id)}` };
  return { uri, mimeType: "application/json", text: JSON.stringify(data) };
}

/** Serves resources/list, templates/list, read, subscribe and unsubscribe on `server` for one session. */
export function addFixtureResources(server: Server, session: FixtureSession): void {
  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: FIXTURE_RESOURCES.map((resource) => resource.definition),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [DATA_TEMPLATE] }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) => ({
    contents: [readFixtureResource(request.params.uri)],
  }));
  // Subscriptions are per session; test_watched_resource_update sends notifications/resources/updated for them.
  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    readFixtureResource(request.params.uri);
    session.subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    session.subscriptions.delete(request.params.uri);
    return {};
  });
}
