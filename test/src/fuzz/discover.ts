import { readdirSync } from "node:fs";
import { extname, join } from "node:path";
import type { FuzzCase } from "./fuzz-case";

/** The folder the property modules live in, beside this file (sources under jest, `dist` when compiled). */
export const PROPERTIES_DIR = join(__dirname, "properties");

/** One property module: its file name without extension, and the cases it exports. */
export interface FuzzModule {
  readonly name: string;
  readonly cases: readonly FuzzCase[];
}

/** One case with the module it came from; `id` (`module: name`) is unique across the suite. */
export interface DiscoveredCase {
  readonly id: string;
  readonly module: string;
  readonly fuzzCase: FuzzCase;
}

/** Loads one module file: Node's `require` when compiled, `jest.requireActual` under jest (which compiles TS). */
export type ModuleLoader = (file: string) => unknown;

// This file's own extension tells which kind of module sits beside it: ".ts" under jest, ".js" when compiled.
const EXTENSION = extname(__filename);

/** The property module files in `dir`, sorted: tests, declarations and source maps beside them are not modules. */
export function propertyModuleFiles(dir: string = PROPERTIES_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(EXTENSION) && !file.endsWith(`.test${EXTENSION}`) && !file.endsWith(".d.ts"))
    .sort()
    .map((file) => join(dir, file));
}

function isFuzzCase(value: unknown): value is FuzzCase {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Record<string, unknown>;
  const weight = candidate["weight"];
  return (
    typeof candidate["name"] === "string" &&
    typeof candidate["property"] === "function" &&
    (weight === undefined || (typeof weight === "number" && weight >= 1))
  );
}

// A file in the folder that does not export well-formed cases is an error, never silently skipped: a typo in an
// export name must not turn a property module into one that tests nothing.
function casesOf(file: string, exported: unknown): readonly FuzzCase[] {
  const cases = (exported as { fuzzCases?: unknown } | null)?.fuzzCases;
  if (!Array.isArray(cases) || cases.length === 0 || !cases.every(isFuzzCase))
    throw new Error(`${file}: expected \`export const fuzzCases: FuzzCase[]\` with at least one case`);
  return cases;
}

/** Every module under `dir`, loaded, in file-name order; throws naming a module without valid `fuzzCases`. */
export function loadFuzzModules(load: ModuleLoader, dir: string = PROPERTIES_DIR): FuzzModule[] {
  return propertyModuleFiles(dir).map((file) => ({
    name: file.slice(dir.length + 1, -EXTENSION.length),
    cases: casesOf(file, load(file)),
  }));
}

/** The cases of `modules` flattened with unique ids; throws on a duplicate id (replay selects cases by id). */
export function discoveredCases(modules: readonly FuzzModule[]): DiscoveredCase[] {
  const seen = new Set<string>();
  return modules.flatMap((module) =>
    module.cases.map((fuzzCase) => {
      const id = `${module.name}: ${fuzzCase.name}`;
      if (seen.has(id)) throw new Error(`duplicate fuzz case ${JSON.stringify(id)}`);
      seen.add(id);
      return { id, module: module.name, fuzzCase };
    }),
  );
}

/** The number of runs a case gets out of `runs` (its weight divides it), at least one. */
export function runsFor(fuzzCase: FuzzCase, runs: number): number {
  return Math.max(1, Math.floor(runs / (fuzzCase.weight ?? 1)));
}
