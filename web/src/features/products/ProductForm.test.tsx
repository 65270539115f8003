import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/problem";
import { productKeys } from "./keys";
import { ProductForm } from "./ProductForm";

function renderForm(onSubmit: Parameters<typeof ProductForm>[0]["onSubmit"]) {
  const client = new QueryClient();
  client.setQueryData(productKeys.units(), { items: [{ id: "u", code: "pcs", name: "pieces", decimals: 0 }], next_cursor: null });
  client.setQueryData(productKeys.categories(), { items: [], next_cursor: null });
  render(
    <QueryClientProvider client={client}>
      <ProductForm submitLabel="Add product" onSubmit={onSubmit} onCancel={() => undefined} />
    </QueryClientProvider>,
  );
}

describe("the product form", () => {
  it("puts the server's field errors next to their fields and keeps what was typed", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn().mockRejectedValue(
      new ApiError({
        type: "urn:quartermaster:problem:validation-failed",
        title: "Unprocessable Content",
        status: 422,
        detail: "The request is invalid",
        errors: [{ field: "sku", location: "body", message: "Value error, SKU may not contain spaces" }],
      }),
    );
    renderForm(onSubmit);
    await user.type(screen.getByLabelText("SKU"), "DRL 18");
    await user.type(screen.getByLabelText("Name"), "Cordless drill");
    await user.click(screen.getByRole("button", { name: "Add product" }));
    const sku = screen.getByLabelText("SKU");
    expect(await screen.findByText("SKU may not contain spaces")).toBeInTheDocument();
    expect(sku).toHaveAttribute("aria-invalid", "true");
    expect(sku).toHaveValue("DRL 18");
    expect(screen.getByLabelText("Name")).toHaveValue("Cordless drill");
  });

  it("shows a refusal that names no field above the buttons", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn().mockRejectedValue(new ApiError({ type: "x", title: "Conflict", status: 409, detail: "A product with SKU 'DRL-18' already exists." }));
    renderForm(onSubmit);
    await user.type(screen.getByLabelText("SKU"), "DRL-18");
    await user.type(screen.getByLabelText("Name"), "Drill");
    await user.click(screen.getByRole("button", { name: "Add product" }));
    expect(await screen.findByText("A product with SKU 'DRL-18' already exists.")).toBeInTheDocument();
  });

  it("checks required fields before asking the server", async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn();
    renderForm(onSubmit);
    await user.click(screen.getByRole("button", { name: "Add product" }));
    expect(await screen.findByText("Every product needs a SKU.")).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });
});
