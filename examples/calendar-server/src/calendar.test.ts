import { Calendar, toMinutes, toTime } from "./calendar";

describe("toMinutes / toTime", () => {
  it.each([
    ["00:00", 0],
    ["09:05", 545],
    ["23:59", 1439],
  ])("converts %s to %i minutes and back", (time, minutes) => {
    expect(toMinutes(time)).toBe(minutes);
    expect(toTime(minutes)).toBe(time);
  });

  it.each(["9:00", "24:00", "12:60", "12:00 ", "noon", ""])("rejects %j", (time) => {
    expect(() => toMinutes(time)).toThrow(RangeError);
  });
});

describe("Calendar", () => {
  it("starts with the seed meetings, earliest first, numbered evt-1..", () => {
    expect(new Calendar().events()).toEqual([
      { id: "evt-1", title: "Stand-up", start: "09:30", end: "10:00" },
      { id: "evt-2", title: "Lunch with the platform team", start: "12:00", end: "13:00" },
      { id: "evt-3", title: "Gateway design review", start: "15:00", end: "16:00" },
    ]);
  });

  it.each([
    [30, undefined, { start: "09:00", end: "09:30" }],
    [45, undefined, { start: "10:00", end: "10:45" }],
    [120, undefined, { start: "10:00", end: "12:00" }],
    [150, undefined, undefined],
    [60, "12:30", { start: "13:00", end: "14:00" }],
    [60, "16:00", { start: "16:00", end: "17:00" }],
    [61, "16:00", undefined],
  ])("finds the earliest free slot of %i minutes not before %s", (duration, notBefore, slot) => {
    expect(new Calendar().findFreeSlot(duration, notBefore)).toEqual(slot);
  });

  it.each([
    [{ title: "x", start: "08:30", durationMinutes: 30 }, "outside working hours (09:00-17:00)"],
    [{ title: "x", start: "16:30", durationMinutes: 60 }, "outside working hours (09:00-17:00)"],
    [{ title: "x", start: "09:45", durationMinutes: 30 }, 'overlaps "Stand-up" (09:30-10:00)'],
    [{ title: "x", start: "11:30", durationMinutes: 60 }, 'overlaps "Lunch with the platform team" (12:00-13:00)'],
    [{ title: "x", start: "10:00", durationMinutes: 120 }, undefined],
  ])("names the conflict of %j", (proposal, problem) => {
    expect(new Calendar().conflict(proposal)).toBe(problem);
  });

  it("books a free slot under the next id and then treats it as taken", () => {
    const calendar = new Calendar();
    const event = calendar.book({ title: "Retro", start: "13:00", durationMinutes: 30 });
    expect(event).toEqual({ id: "evt-4", title: "Retro", start: "13:00", end: "13:30" });
    expect(calendar.event("evt-4")).toEqual(event);
    expect(calendar.events().map((e) => e.id)).toEqual(["evt-1", "evt-2", "evt-4", "evt-3"]);
    expect(calendar.findFreeSlot(60, "12:30")).toEqual({ start: "13:30", end: "14:30" });
    expect(() => calendar.book({ title: "Again", start: "13:15", durationMinutes: 30 })).toThrow('overlaps "Retro"');
  });
});
