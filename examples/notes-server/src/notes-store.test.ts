import { NotesStore } from "./notes-store";

describe("NotesStore", () => {
  it("numbers notes from 1 and lists them oldest first", () => {
    const store = new NotesStore();
    store.add("a", "first");
    store.add("b", "second");
    expect(store.list()).toEqual([
      { id: 1, title: "a", text: "first" },
      { id: 2, title: "b", text: "second" },
    ]);
  });

  it.each([
    ["milk", [1]],
    ["MILK", [1]],
    ["call", [2]],
    ["o", [1, 2]],
    ["nothing", []],
  ])("searches title and text for %j ignoring case", (query, ids) => {
    const store = new NotesStore();
    store.add("Shopping", "buy milk");
    store.add("Phone", "call Bob back");
    expect(store.search(query).map((n) => n.id)).toEqual(ids);
  });

  it("hands out copies, not its own list", () => {
    const store = new NotesStore();
    (store.list() as unknown[]).push("junk");
    expect(store.list()).toEqual([]);
  });
});
