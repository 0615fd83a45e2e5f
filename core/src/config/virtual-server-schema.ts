import { z } from "zod";
import { SERVER_NAME_RE } from "./fields";

/**
 * An endpoint path below `/mcp`: one to four lower-case segments, each a server-name-like word. No dots, no percent
 * signs, no upper case and no trailing slash, so a path is spelt one way only and matched exactly (see
 * endpoints/endpoints.ts).
 */
export const ENDPOINT_PATH_RE = /^\/mcp(?:\/[a-z0-9][a-z0-9_-]{0,62}){1,4}$/;

/** An exposed tool or prompt name: what MCP clients accept (SEP-986's characters), at most 128 long. */
export const EXPOSED_NAME_RE = /^[A-Za-z0-9_.-]{1,128}$/;

const serverName = z
  .string()
  .regex(SERVER_NAME_RE, "expected a configured server's name (lower-case letters, digits, '-' or '_')");

/** One pick of tools or prompts for a virtual server: a server's own name (or a `*` glob), optionally renamed. */
const namedSelection = z
  .object({
    server: serverName,
    /** The upstream's own name, or a glob (`*` matches any run of characters) picking several. */
    name: z.string().min(1),
    /** The name this endpoint lists it under (only with an exact `name`). */
    as: z.string().regex(EXPOSED_NAME_RE, "expected letters, digits, '_', '.' or '-' (at most 128)").optional(),
    /** Replaces the upstream's description in this endpoint's lists. */
    description: z.string().min(1).max(4096).optional(),
  })
  .strict();

/** One pick of resources (and resource templates) for a virtual server, by the upstream's own URI or a glob. */
const resourceSelection = z.object({ server: serverName, uri: z.string().min(1) }).strict();

/**
 * A virtual server: a curated selection of tools, prompts and resources across servers, served at its own path
 * (`/mcp/virtual/<name>` unless `path` says otherwise).
 */
export const virtualServerSchema = z
  .object({
    name: z
      .string()
      .regex(
        SERVER_NAME_RE,
        "expected lower-case letters, digits, '-' or '_' (max 63), starting with a letter or digit",
      ),
    path: z
      .string()
      .regex(ENDPOINT_PATH_RE, "expected /mcp/ then one to four lower-case segments (letters, digits, '-', '_')")
      .optional(),
    tools: z.array(namedSelection).default([]),
    prompts: z.array(namedSelection).default([]),
    resources: z.array(resourceSelection).default([]),
  })
  .strict()
  .transform((virtual) => ({ ...virtual, path: virtual.path ?? `/mcp/virtual/${virtual.name}` }));

/** One validated virtual server. */
export type VirtualServerConfig = z.output<typeof virtualServerSchema>;
/** One validated tool or prompt pick of a virtual server. */
export type NamedSelection = z.output<typeof namedSelection>;
