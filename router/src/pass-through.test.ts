import { isPassThroughPath } from "./pass-through";

// Exactly the paths the rendered Envoy routes send past ext_proc, read as Envoy reads its route matches.
describe("isPassThroughPath", () => {
  it.each([
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/chat/completions?stream=1",
    "/v1/responses?a=/mcp",
    "/ui",
    "/ui?x=1",
    "/ui/",
    "/ui/assets/index.js",
    // Envoy's console route takes it too (prefix /ui/, nothing normalized); the broker serves no MCP under /ui/.
    "/ui/../mcp",
  ])("passes %s through (console on)", (path) => {
    expect(isPassThroughPath(path, true)).toBe(true);
  });

  it.each([
    "/mcp",
    "/mcp?x=/v1/responses",
    "/v1/models",
    "/v1",
    "/v1/",
    "/v1/../mcp",
    "/v1/chat/completions/",
    "/v1/chat/completions/../../mcp",
    "/v1/chat/completionsx",
    "/v1//chat/completions",
    "//v1/chat/completions",
    "/./v1/responses",
    "/V1/responses",
    "/v1/Responses",
    "/v1/chat%2Fcompletions",
    "/v1/chat/completions%3F",
    "/v1/chat/completions\t",
    "/v1/chat/completions\r",
    " /v1/responses",
    "/UI",
    "/Ui/x",
    "/uix",
    "/ui%2F",
    "http://host/v1/responses",
    "",
  ])("does not pass %j through", (path) => {
    expect(isPassThroughPath(path, true)).toBe(false);
  });

  it.each(["/ui", "/ui/", "/ui/assets/index.js"])("does not pass %s through when the console is off", (path) => {
    expect(isPassThroughPath(path, false)).toBe(false);
  });
});
