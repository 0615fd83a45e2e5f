import { useState } from "preact/hooks";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { McpSession } from "./mcp-session";
import { SearchableList } from "./searchable-list";
import { ToolCall } from "./tool-call";

/** A tool known by name only (not in the consumer's list): called with a raw JSON editor, to see the gateway's answer. */
function unlistedTool(name: string): Tool {
  return { name, inputSchema: { type: "object" }, description: "Not in your tool list: the gateway decides." };
}

/** The consumer's tools: search and pick one on the left, call it on the right; or call any tool by name. */
export function ToolsView({ tools, session }: { tools: Tool[]; session: McpSession }) {
  const [chosen, setChosen] = useState<Tool | undefined>(tools[0]);
  const [byName, setByName] = useState("");
  const entries = tools.map((t) => ({
    key: t.name,
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
  }));
  return (
    <div class="split">
      <div>
        <SearchableList
          label="Tools"
          entries={entries}
          {...(chosen ? { chosen: chosen.name } : {})}
          onChoose={(name) => setChosen(tools.find((t) => t.name === name))}
        />
        <form
          class="by-name"
          onSubmit={(e) => {
            e.preventDefault();
            if (byName.trim()) setChosen(tools.find((t) => t.name === byName.trim()) ?? unlistedTool(byName.trim()));
          }}
        >
          <label for="tool-by-name">Tool name</label>
          <input id="tool-by-name" type="text" value={byName} onInput={(e) => setByName(e.currentTarget.value)} />
          <button type="submit">Open tool by name</button>
        </form>
      </div>
      {chosen ? (
        <ToolCall key={chosen.name} tool={chosen} session={session} />
      ) : (
        <p>No tool is available to this key.</p>
      )}
    </div>
  );
}
