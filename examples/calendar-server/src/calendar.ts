// One in-memory day of meetings. Deterministic: fixed seed events, ids numbered in booking order, no clock, so tests
// can assert exact slots and ids.

/** A meeting on the calendar; times are "HH:MM" (24 h) on the calendar's one day. */
export interface CalendarEvent {
  id: string;
  title: string;
  start: string;
  end: string;
}

/** A meeting someone wants to book. */
export interface MeetingProposal {
  title: string;
  start: string;
  durationMinutes: number;
}

/** A free slot of the requested length. */
export interface FreeSlot {
  start: string;
  end: string;
}

/** Working hours: meetings start at or after DAY_START and end at or before DAY_END. */
export const DAY_START = "09:00";
/** End of the working day. */
export const DAY_END = "17:00";

/** The meetings every new calendar starts with. */
export const SEED_EVENTS: readonly Omit<CalendarEvent, "id">[] = [
  { title: "Stand-up", start: "09:30", end: "10:00" },
  { title: "Lunch with the platform team", start: "12:00", end: "13:00" },
  { title: "Gateway design review", start: "15:00", end: "16:00" },
];

/** Minutes since midnight of an "HH:MM" time (00:00..23:59); throws on anything else. */
export function toMinutes(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new RangeError(`not a time of day (HH:MM): ${JSON.stringify(time)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** "HH:MM" of minutes since midnight. */
export function toTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The calendar of one day; shared by every request a server handles. */
export class Calendar {
  private readonly booked: CalendarEvent[] = [];
  private nextId = 1;

  constructor(seed: readonly Omit<CalendarEvent, "id">[] = SEED_EVENTS) {
    for (const event of seed) this.add(event);
  }

  /** Every meeting, earliest first. */
  events(): CalendarEvent[] {
    return [...this.booked].sort((a, b) => toMinutes(a.start) - toMinutes(b.start));
  }

  /** The meeting with `id`, if any. */
  event(id: string): CalendarEvent | undefined {
    return this.booked.find((event) => event.id === id);
  }

  /** The earliest free slot of `durationMinutes` within working hours, starting no earlier than `notBefore`. */
  findFreeSlot(durationMinutes: number, notBefore: string = DAY_START): FreeSlot | undefined {
    const earliest = Math.max(toMinutes(DAY_START), toMinutes(notBefore));
    // A meeting can only start at the earliest moment or right after another meeting ends.
    const candidates = [earliest, ...this.booked.map((event) => toMinutes(event.end))].filter((m) => m >= earliest);
    const start = candidates.sort((a, b) => a - b).find((m) => this.problemWith(m, durationMinutes) === undefined);
    return start === undefined ? undefined : { start: toTime(start), end: toTime(start + durationMinutes) };
  }

  /** Why `proposal` cannot be booked (outside working hours, or overlapping a named meeting), or undefined. */
  conflict(proposal: MeetingProposal): string | undefined {
    return this.problemWith(toMinutes(proposal.start), proposal.durationMinutes);
  }

  /** Books `proposal`; throws when it conflicts (check {@link conflict} first). */
  book(proposal: MeetingProposal): CalendarEvent {
    const problem = this.conflict(proposal);
    if (problem !== undefined) throw new RangeError(problem);
    const start = toMinutes(proposal.start);
    return this.add({ title: proposal.title, start: proposal.start, end: toTime(start + proposal.durationMinutes) });
  }

  private add(event: Omit<CalendarEvent, "id">): CalendarEvent {
    const added = { id: `evt-${this.nextId++}`, ...event };
    this.booked.push(added);
    return added;
  }

  private problemWith(start: number, durationMinutes: number): string | undefined {
    const end = start + durationMinutes;
    if (start < toMinutes(DAY_START) || end > toMinutes(DAY_END)) {
      return `outside working hours (${DAY_START}-${DAY_END})`;
    }
    const clash = this.booked.find((event) => start < toMinutes(event.end) && toMinutes(event.start) < end);
    return clash && `overlaps "${clash.title}" (${clash.start}-${clash.end})`;
  }
}
