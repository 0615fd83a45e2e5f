import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { loadExtProcService } from "@mcp-gateway/router";

it("loads the SDK and the ext_proc service", () => {
  expect(typeof Client).toBe("function");
  expect(Object.keys(loadExtProcService().definition)).toEqual(["Process"]);
});
