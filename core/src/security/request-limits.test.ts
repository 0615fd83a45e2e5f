import { JsonRpcErrorCode } from "../errors";
import { headerSizeError } from "./request-limits";

describe("headerSizeError", () => {
  const headers = { ":path": "/mcp", host: "gw" };
  const size = ":path".length + "/mcp".length + "host".length + "gw".length;

  it("accepts headers at the limit", () => {
    expect(headerSizeError(headers, size)).toBeUndefined();
  });

  it("refuses headers over the limit with 431", () => {
    expect(headerSizeError(headers, size - 1)).toMatchObject({
      code: JsonRpcErrorCode.RequestTooLarge,
      httpStatus: 431,
      message: `request headers of ${size} bytes exceed the limit of ${size - 1} bytes`,
    });
  });

  it("counts header names as well as values", () => {
    expect(headerSizeError({ ["x".repeat(100)]: "" }, 99)?.httpStatus).toBe(431);
  });

  it("counts each byte of a value the router decoded as latin1", () => {
    const value = Buffer.from("é".repeat(10), "utf8").toString("latin1");
    expect([headerSizeError({ a: value }, 21), headerSizeError({ a: value }, 20)?.httpStatus]).toEqual([
      undefined,
      431,
    ]);
  });

  it("accepts no headers at all", () => {
    expect(headerSizeError({}, 0)).toBeUndefined();
  });
});
