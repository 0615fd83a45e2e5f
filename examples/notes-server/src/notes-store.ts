/** One stored note. */
export interface Note {
  readonly id: number;
  readonly title: string;
  readonly text: string;
}

/** In-memory notes shared by every session of one server; lost on restart. */
export class NotesStore {
  private readonly notes: Note[] = [];

  /** Stores a note and returns it with its new id (1, 2, ...). */
  add(title: string, text: string): Note {
    const note = Object.freeze({ id: this.notes.length + 1, title, text });
    this.notes.push(note);
    return note;
  }

  /** Every note, oldest first. */
  list(): readonly Note[] {
    return [...this.notes];
  }

  /** Notes whose title or text contains `query`, ignoring case. */
  search(query: string): readonly Note[] {
    const needle = query.toLowerCase();
    return this.notes.filter((n) => n.title.toLowerCase().includes(needle) || n.text.toLowerCase().includes(needle));
  }
}
