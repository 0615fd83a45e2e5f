// Runs under jest (ts-jest, CommonJS) like the other workspaces' tests; Vite never bundles it (nothing imports it).
import { initialValue, missingRequired, ownField, schemaType, withField, type JsonSchema } from "./json-schema";

describe("the generated forms' value helpers", () => {
  it.each<[JsonSchema, string]>([
    [{ type: "string" }, "string"],
    [{ type: ["null", "integer"] }, "integer"],
    [{ properties: {} }, "object"],
    [{ items: {} }, "array"],
    [{ enum: [1, 2] }, "enum"],
    [{}, "unknown"],
  ])("schemaType(%j) is %s", (schema, type) => {
    expect(schemaType(schema)).toBe(type);
  });

  it("starts an object with its required fields' defaults only", () => {
    const schema: JsonSchema = {
      type: "object",
      properties: { a: { type: "number", default: 1 }, b: { type: "number", default: 2 }, c: { type: "string" } },
      required: ["a", "c"],
    };
    expect(initialValue(schema)).toEqual({ a: 1 });
    expect(missingRequired(schema, initialValue(schema))).toEqual(["c"]);
  });

  it("keeps a field named __proto__ a field: it never becomes the value's prototype", () => {
    const value = withField({}, "__proto__", { polluted: true });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    const initial = initialValue({
      properties: { __proto__: { default: { polluted: true } } },
      required: ["__proto__"],
    });
    expect(Object.getPrototypeOf(initial)).toBe(Object.prototype);
  });

  it("reads only own fields: a field named constructor is empty, not Object's constructor", () => {
    expect(ownField({}, "constructor")).toBeUndefined();
    expect(ownField({ constructor: 3 }, "constructor")).toBe(3);
  });

  it("removes a field set to undefined", () => {
    expect(withField({ a: 1, b: 2 }, "a", undefined)).toEqual({ b: 2 });
  });
});
