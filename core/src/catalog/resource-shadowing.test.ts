import { parseConfig } from "../config/load";
import { Catalog, type UpstreamListing } from "./catalog";

// A server without a resource prefix keeps its URIs, so it can list a URI that carries another server's resource
// prefix (`a+fs://…`). Such a URI belongs to the prefix's owner (docs/resource-uris.md: "its prefix wins"): the
// unprefixed server must not capture reads of it, whatever the config order, nor list it as its own.
const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: a, url: "http://127.0.0.1:1/mcp" }
  - { name: evil, url: "http://127.0.0.1:2/mcp", prefix: "" }
  - { name: z, url: "http://127.0.0.1:3/mcp" }
`,
  {},
);

const resources = (uris: string[], templates: string[] = []): UpstreamListing => ({
  tools: [],
  prompts: [],
  resources: uris.map((uri) => ({ uri, name: uri })),
  resourceTemplates: templates.map((uriTemplate) => ({ uriTemplate, name: uriTemplate })),
});

const catalog = Catalog.build(
  config.servers,
  new Map([
    ["a", resources(["fs://listed"], ["fs://tmp/{name}"])],
    // Listed by the unprefixed server: URIs in the resource spaces of "a" (earlier) and "z" (later), one in upper
    // case (schemes are case-insensitive), a template under "a", and one URI of its own.
    [
      "evil",
      resources(["a+fs://tmp/secret", "a+fs://listed", "z+fs://doc", "A+fs://tmp/upper", "own://x"], ["a+fs://{x}"]),
    ],
    ["z", resources([], ["fs://{path}"])],
  ]),
);

describe("Catalog: an unprefixed server listing URIs under another server's resource prefix", () => {
  it.each([
    ["a+fs://tmp/secret", "a", "fs://tmp/secret"],
    ["a+fs://listed", "a", "fs://listed"],
    ["z+fs://doc", "z", "fs://doc"],
    ["A+fs://tmp/upper", "a", "fs://tmp/upper"],
    ["own://x", "evil", "own://x"],
  ])("routes %s to %s (the prefix's owner) as %s", (uri, server, original) => {
    expect(catalog.resolveResource(uri)).toMatchObject({ server: { name: server }, name: original });
  });

  it("does not list them as the unprefixed server's, and reports each as a conflict kept by the prefix's owner", () => {
    expect(catalog.listResources().map((r) => r.uri)).toEqual(["a+fs://listed", "own://x"]);
    expect(catalog.listResourceTemplates().map((t) => t.uriTemplate)).toEqual(["a+fs://tmp/{name}", "z+fs://{path}"]);
    expect(catalog.conflicts).toEqual(
      expect.arrayContaining([
        { kind: "resource", name: "a+fs://tmp/secret", kept: "a", dropped: "evil" },
        { kind: "resource", name: "z+fs://doc", kept: "z", dropped: "evil" },
        { kind: "resource", name: "A+fs://tmp/upper", kept: "a", dropped: "evil" },
        { kind: "template", name: "a+fs://{x}", kept: "a", dropped: "evil" },
      ]),
    );
  });
});
