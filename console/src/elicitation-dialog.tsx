import { useEffect, useRef, useState } from "preact/hooks";
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { initialValue, type JsonSchema } from "./json-schema";
import { ObjectFields } from "./schema-form";

/** A pending elicitation: what the server asks, and how to answer it. */
export interface PendingElicitation {
  params: ElicitRequest["params"];
  answer: (result: ElicitResult) => void;
}

/** A modal dialog for an elicitation request: the server's message (as text), a form from its schema, three answers. */
export function ElicitationDialog({ pending }: { pending: PendingElicitation }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const schema = (
    "requestedSchema" in pending.params ? pending.params.requestedSchema : { type: "object" }
  ) as JsonSchema;
  const [value, setValue] = useState<unknown>(() => initialValue(schema) ?? {});
  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);
  const answer = (result: ElicitResult) => {
    dialog.current?.close();
    pending.answer(result);
  };
  return (
    <dialog ref={dialog} aria-labelledby="elicitation-title" onCancel={() => answer({ action: "cancel" })}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          answer({ action: "accept", content: value as ElicitResult["content"] });
        }}
      >
        <h2 id="elicitation-title">The server asks</h2>
        <p class="content-text">{pending.params.message}</p>
        <ObjectFields id="elicit" schema={schema} value={value} onChange={setValue} />
        <div class="actions">
          <button type="submit">Accept</button>
          <button type="button" onClick={() => answer({ action: "decline" })}>
            Decline
          </button>
          <button type="button" onClick={() => answer({ action: "cancel" })}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
