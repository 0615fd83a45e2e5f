import { CappedLineSplitter, LineBudget } from "./stderr-lines";

function split(maxBytes: number, ...chunks: string[]): [string, number][] {
  const lines: [string, number][] = [];
  const splitter = new CappedLineSplitter(maxBytes, (line, dropped) => lines.push([line, dropped]));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return lines;
}

describe("CappedLineSplitter", () => {
  it.each<[string, string[], [string, number][]]>([
    [
      "lines across chunks",
      ["ab", "c\nde\r\n", "f"],
      [
        ["abc", 0],
        ["de", 0],
        ["f", 0],
      ],
    ],
    [
      "a long line cut, the rest counted",
      ["0123456789\nxy\n"],
      [
        ["0123", 6],
        ["xy", 0],
      ],
    ],
    ["a long line spread over chunks", ["01", "2345", "67\n"], [["0123", 4]]],
    [
      "empty lines",
      ["\n\n"],
      [
        ["", 0],
        ["", 0],
      ],
    ],
  ])("splits %s", (_name, chunks, expected) => {
    expect(split(4, ...chunks)).toEqual(expected);
  });

  it("holds at most the cap of a line that never ends, however much arrives", () => {
    const lines: [string, number][] = [];
    const splitter = new CappedLineSplitter(8, (line, dropped) => lines.push([line, dropped]));
    for (let i = 0; i < 1000; i += 1) splitter.push(Buffer.alloc(1024, "x"));
    expect(lines).toEqual([]);
    splitter.push(Buffer.from("\n"));
    expect(lines).toEqual([["xxxxxxxx", 1024 * 1000 - 8]]);
  });
});

describe("LineBudget", () => {
  it("allows the rate per second, refuses and counts the rest, and reports the count with the next allowed line", () => {
    let now = 10_000;
    const budget = new LineBudget(2, () => now);
    expect([budget.take(), budget.take(), budget.take(), budget.take()].map((t) => t.allowed)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    now += 1_000;
    expect(budget.take()).toEqual({ allowed: true, refusedBefore: 2 });
    expect(budget.drain()).toBe(0);
  });
});
