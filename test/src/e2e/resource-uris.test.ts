import Ajv from "ajv";
import addFormats from "ajv-formats";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

jest.setTimeout(90_000);

// The validator the conformance suite applies to the spec schema's `format: uri` and `format: uri-template`.
const ajv = new Ajv({ strict: false });
addFormats(ajv);
const isUri = ajv.compile({ type: "string", format: "uri" });
const isUriTemplate = ajv.compile({ type: "string", format: "uri-template" });

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

// Issue 11, item 10: the default prefix `<name>_` in front of a scheme (`fixture_test://static-text`) is no URI at all
// (RFC 3986 allows no `_` in a scheme), so conformance's wire-schema check refused resources/list through the gateway.
// Resource URIs now carry the resource prefix and a `+` (`fixture+test://static-text`) and must read back.
describe.each(modes.all)("resource URIs through the gateway are valid URIs (%s)", (_label, mode) => {
  let fixture: RunningServer;
  let stack: GatewayStack;
  let connected: ConnectedClient;

  beforeAll(async () => {
    fixture = await startConformanceFixture({ port: 0 });
    // The default prefixes: tools fixture_…, resource URIs fixture+….
    stack = await startGatewayStack(await mode(), { extraServers: [`name: fixture, url: "${fixture.url}"`] });
    connected = await connectClient(stack.url);
  });
  afterAll(async () => {
    await connected?.close();
    await stack?.stop();
    await fixture?.close();
  });

  it("lists resources and templates under valid URIs and URI templates, each readable back", async () => {
    const { resources } = await connected.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        "fixture+test://static-text",
        "fixture+test://static-binary",
        "weather+weather://cities",
      ]),
    );
    expect(uris.filter((uri) => !isUri(uri))).toEqual([]);
    const { resourceTemplates } = await connected.client.listResourceTemplates();
    const templates = resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toContain("fixture+test://template/{id}/data");
    expect(templates.filter((template) => !isUriTemplate(template))).toEqual([]);
    for (const uri of uris) {
      const { contents } = await connected.client.readResource({ uri });
      expect(contents.map((c) => c.uri)).toEqual([uri]);
    }
  });

  it("reads a URI built from a template, and completes its argument, through the resource prefix", async () => {
    const { contents } = await connected.client.readResource({ uri: "fixture+test://template/123/data" });
    expect(contents.map((c) => c.uri)).toEqual(["fixture+test://template/123/data"]);
    const { completion } = await connected.client.complete({
      ref: { type: "ref/resource", uri: "fixture+test://template/{id}/data" },
      argument: { name: "id", value: "4" },
    });
    expect(completion.values).toEqual(["456"]);
  });

  it("prefixes embedded resources of tool results and prompts with valid URIs that read back to the upstream", async () => {
    const result = await connected.client.callTool({ name: "fixture_test_embedded_resource", arguments: {} });
    expect(result.content).toEqual([expect.objectContaining({ type: "resource" })]);
    const [block] = result.content as [{ resource: { uri: string } }];
    expect(block.resource.uri).toBe("fixture+test://embedded-resource");
    expect(isUri(block.resource.uri)).toBe(true);
    const prompt = await connected.client.getPrompt({
      name: "fixture_test_prompt_with_embedded_resource",
      arguments: { resourceUri: "test://example" },
    });
    const embedded = prompt.messages.map((m) => m.content).find((c) => c.type === "resource");
    expect(embedded).toMatchObject({ resource: { uri: "fixture+test://example" } });
  });

  // Issue 11, item 11: resource not found is -32002 with the URI in data for these (MCP 2025-11-25) clients.
  it("refuses the old `<tool prefix><uri>` form as resource not found (-32002, the URI in data)", async () => {
    await expect(connected.client.readResource({ uri: "fixture_test://static-text" })).rejects.toMatchObject({
      code: -32002,
      message: expect.stringContaining('unknown resource: "fixture_test://static-text"'),
      data: { uri: "fixture_test://static-text" },
    });
  });
});
