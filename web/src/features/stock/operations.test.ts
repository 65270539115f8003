import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "@/api/problem";
import { OPERATIONS, errorsFrom, movementLine } from "./operations";
import type { OperationInput } from "./operations";

const input = {
  product: { id: "p1", unit: "pcs" },
  location: { id: "l1" },
  target: { id: "l2" },
  quantity: "4",
  unitCost: "11.50",
  reason: "damaged",
} as unknown as OperationInput;

describe("stock operations", () => {
  it("says what is available, next to the quantity, when stock is short", () => {
    const refusal = new ApiError({
      type: "urn:quartermaster:problem:insufficient-stock",
      title: "Conflict",
      status: 409,
      code: "insufficient-stock",
      detail: "Only 4 of 'DRL' is available at location 'A-01-03'; …",
      available: "4.000",
      location_code: "A-01-03",
      requested: "10",
    });
    expect(errorsFrom(refusal, "pcs")).toEqual({ quantity: "Only 4 pcs available at A-01-03. Nothing was recorded." });
  });

  it("puts validation errors on their fields", () => {
    const refusal = new ApiError({
      type: "x",
      title: "Unprocessable",
      status: 422,
      detail: "…",
      errors: [
        { field: "lines.0.quantity", message: "Too many decimal places for pcs" },
        { field: "lines.0.reason", message: "An adjustment needs a reason" },
      ],
    });
    expect(errorsFrom(refusal, "pcs")).toEqual({ quantity: "Too many decimal places for pcs", reason: "An adjustment needs a reason" });
  });

  it("says plainly that nothing was recorded when offline", () => {
    expect(errorsFrom(new NetworkError(), "pcs").form).toMatch(/nothing was recorded/);
  });

  it("writes each kind of line as the API expects", () => {
    expect(movementLine(OPERATIONS.receive, input)).toEqual({ kind: "receipt", product_id: "p1", quantity: "4", to_location_id: "l1", unit_cost: "11.50" });
    expect(movementLine(OPERATIONS.issue, input)).toEqual({ kind: "issue", product_id: "p1", quantity: "4", from_location_id: "l1" });
    expect(movementLine(OPERATIONS.transfer, input)).toEqual({ kind: "transfer", product_id: "p1", quantity: "4", from_location_id: "l1", to_location_id: "l2" });
    expect(movementLine(OPERATIONS.adjust, { ...input, quantity: "-2" })).toEqual({ kind: "adjustment", product_id: "p1", quantity: "-2", to_location_id: "l1", reason: "damaged" });
  });
});
