import { useEffect, useRef, useState } from "preact/hooks";
import type { AdminApi } from "./admin-api";
import type { TailEvent, TailFilter } from "./audit-tail";

/** Rows kept on screen; older ones scroll away (the audit sinks keep the record). */
const MAX_ROWS = 200;

const DECISIONS = ["", "allowed", "denied", "rate_limited", "unauthenticated", "rejected"];

function FilterField(props: { id: string; label: string; value: string; onInput: (value: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="text" value={props.value} onInput={(e) => props.onInput(e.currentTarget.value)} />
    </div>
  );
}

function TailTable({ events }: { events: TailEvent[] }) {
  return (
    <table class="audit-tail">
      <caption>Audit events (newest first)</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Consumer</th>
          <th scope="col">Method</th>
          <th scope="col">Server</th>
          <th scope="col">Target</th>
          <th scope="col">Decision</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e, i) => (
          <tr key={`${e.time}-${i}`}>
            <td>{e.time}</td>
            <td>{e.consumer ?? e.actor ?? ""}</td>
            <td>{e.method}</td>
            <td>{e.server ?? ""}</td>
            <td>{e.target ?? ""}</td>
            <td>{e.decision}</td>
            <td>{e.reason ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function TailFilterForm(props: {
  filter: TailFilter;
  setFilter: (filter: TailFilter) => void;
  start: () => void;
  stop: () => void;
}) {
  const { filter, setFilter } = props;
  const set = (key: keyof TailFilter) => (value: string) => setFilter({ ...filter, [key]: value });
  return (
    <form
      class="inline"
      aria-label="Audit tail filters"
      onSubmit={(e) => {
        e.preventDefault();
        props.start();
      }}
    >
      <FilterField id="tail-consumer" label="Consumer" value={filter.consumer} onInput={set("consumer")} />
      <FilterField id="tail-server" label="Server" value={filter.server} onInput={set("server")} />
      <div class="field">
        <label for="tail-decision">Decision</label>
        <select id="tail-decision" value={filter.decision} onChange={(e) => set("decision")(e.currentTarget.value)}>
          {DECISIONS.map((d) => (
            <option key={d} value={d}>
              {d === "" ? "any" : d}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">Follow the audit log</button>{" "}
      <button type="button" onClick={props.stop}>
        Stop following
      </button>
    </form>
  );
}

/** The admin's live audit tail: filters applied by the gateway, events as they are recorded. */
export function AuditTailView({ api }: { api: AdminApi }) {
  const [filter, setFilter] = useState<TailFilter>({ consumer: "", server: "", decision: "" });
  const [events, setEvents] = useState<TailEvent[]>([]);
  const [state, setState] = useState("stopped");
  const running = useRef<AbortController | undefined>(undefined);
  const stop = () => {
    running.current?.abort();
    running.current = undefined;
    setState("stopped");
  };
  useEffect(() => stop, []);
  const start = () => {
    stop();
    const abort = new AbortController();
    running.current = abort;
    setEvents([]);
    setState("connecting");
    const handlers = {
      onOpen: () => setState("following"),
      onEvent: (event: TailEvent) => setEvents((old) => [event, ...old].slice(0, MAX_ROWS)),
    };
    api
      .tail(filter, handlers, abort.signal)
      .then(() => !abort.signal.aborted && setState("ended by the gateway"))
      .catch((error: unknown) => !abort.signal.aborted && setState(error instanceof Error ? error.message : "failed"));
  };
  return (
    <section aria-label="Audit tail">
      <h3>Live audit tail</h3>
      <TailFilterForm filter={filter} setFilter={setFilter} start={start} stop={stop} />
      <p role="status" class="hint">
        Tail: {state}
      </p>
      <TailTable events={events} />
    </section>
  );
}
