import type { Location, Product } from "@/api/client";
import { ApiError, NetworkError, describeError } from "@/api/problem";
import { formatQuantity } from "@/lib/format";
import type { MovementLine } from "./api";

export type OperationKind = "receive" | "issue" | "transfer" | "adjust" | "reserve";

export interface Operation {
  kind: OperationKind;
  title: string;
  verb: string;
  help: string;
  locationLabel: string;
  /** Transfers also need where to. */
  needsTarget?: boolean;
  quantityLabel: string;
  /** Adjustments may be negative (a write-off). */
  signed?: boolean;
  reasonRequired?: boolean;
  referenceRequired?: boolean;
  unitCost?: boolean;
  expires?: boolean;
}

export const OPERATIONS: Record<OperationKind, Operation> = {
  receive: {
    kind: "receive",
    title: "Receive stock",
    verb: "Receive",
    help: "Goods came in: scan the bin, then each product, then the quantity.",
    locationLabel: "Into",
    quantityLabel: "Quantity received",
    unitCost: true,
  },
  issue: {
    kind: "issue",
    title: "Issue stock",
    verb: "Issue",
    help: "Goods went out (picked, sold, used).",
    locationLabel: "From",
    quantityLabel: "Quantity issued",
  },
  transfer: {
    kind: "transfer",
    title: "Move stock",
    verb: "Move",
    help: "From one bin to another, in this warehouse or to another.",
    locationLabel: "From",
    needsTarget: true,
    quantityLabel: "Quantity moved",
  },
  adjust: {
    kind: "adjust",
    title: "Adjust stock",
    verb: "Adjust",
    help: "Correct what is on hand: + found, − damaged or lost. Say why.",
    locationLabel: "At",
    quantityLabel: "Change (+ or −)",
    signed: true,
    reasonRequired: true,
  },
  reserve: {
    kind: "reserve",
    title: "Reserve stock",
    verb: "Reserve",
    help: "Hold stock for an order; fulfil or release it later.",
    locationLabel: "At",
    quantityLabel: "Quantity to hold",
    referenceRequired: true,
    expires: true,
  },
};

export interface OperationInput {
  product: Product;
  location: Location;
  target: Location | null;
  quantity: string;
  unitCost: string;
  reason: string;
}

export function movementLine(op: Operation, input: OperationInput): MovementLine {
  const base = { product_id: input.product.id, quantity: input.quantity.trim() };
  switch (op.kind) {
    case "receive":
      return { ...base, kind: "receipt", to_location_id: input.location.id, unit_cost: input.unitCost.trim() || null };
    case "issue":
      return { ...base, kind: "issue", from_location_id: input.location.id };
    case "transfer":
      return { ...base, kind: "transfer", from_location_id: input.location.id, to_location_id: input.target?.id ?? null };
    default:
      return { ...base, kind: "adjustment", to_location_id: input.location.id, reason: input.reason.trim() };
  }
}

export interface Errors {
  quantity?: string;
  location?: string;
  target?: string;
  reason?: string;
  reference?: string;
  form?: string;
}

/** A server refusal in the words a warehouse worker needs, next to the field it is about. */
export function errorsFrom(error: unknown, unit: string | undefined): Errors {
  if (error instanceof ApiError) {
    const p = error.problem;
    if (p.code === "insufficient-stock") {
      return { quantity: `Only ${formatQuantity(String(p.available), unit)} available at ${String(p.location_code)}. Nothing was recorded.` };
    }
    const fields: Errors = {};
    for (const item of p.errors ?? []) {
      const last = item.field.split(".").pop() ?? "";
      if (last === "quantity") fields.quantity = item.message;
      else if (last === "reason") fields.reason = item.message;
      else if (last === "reference") fields.reference = item.message;
      else if (last.includes("location")) fields.location = item.message;
    }
    return Object.keys(fields).length ? fields : { form: p.detail };
  }
  if (error instanceof NetworkError) return { form: "No connection: nothing was recorded. Try again when you are back online (it will not be counted twice)." };
  return { form: describeError(error) };
}

