import { describe, expect, it } from "vitest";
import { addDecimal, compareDecimal, subtractDecimal } from "./decimal";
import { formatQuantity } from "./format";

describe("decimal strings", () => {
  it("add and subtract exactly", () => {
    expect(addDecimal("0.1", "0.2")).toBe("0.3");
    expect(subtractDecimal("10", "12.500")).toBe("-2.500");
    expect(addDecimal("-0.5", "0.5")).toBe("0.0");
    expect(compareDecimal("2.10", "2.1")).toBe(0);
  });

  it("format with their unit, without trailing zeros", () => {
    expect(formatQuantity("12.000", "pcs")).toBe("12 pcs");
    expect(formatQuantity("3.500", "m")).toBe("3.5 m");
    expect(formatQuantity("1234567.25")).toBe("1,234,567.25");
    expect(formatQuantity("-2")).toBe("-2");
  });
});
