import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/problem";
import { Composer } from "./Composer";

describe("the composer", () => {
  it("sends a public reply by default, then empties itself", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} requester="Rita Requester" />);
    const box = screen.getByRole("textbox", { name: "Reply" });
    expect(box).toHaveAttribute("placeholder", expect.stringContaining("Rita Requester"));
    await user.type(box, "We sent a new charger.");
    await user.click(screen.getByRole("button", { name: "Send reply" }));
    expect(onSend).toHaveBeenCalledWith({ body: "We sent a new charger.", internal: false, files: [] });
    expect(box).toHaveValue("");
  });

  it("marks a note internal, and Ctrl+Enter sends it", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} requester="Rita" />);
    await user.click(screen.getByRole("radio", { name: "Internal note" }));
    expect(screen.getByRole("radio", { name: "Internal note" })).toHaveAttribute("aria-checked", "true");
    const box = screen.getByRole("textbox", { name: "Internal note" });
    expect(box).toHaveAttribute("placeholder", "Only agents see this note.");
    await user.type(box, "Serial checked: in warranty.");
    await user.keyboard("{Control>}{Enter}{/Control}");
    expect(onSend).toHaveBeenCalledWith({ body: "Serial checked: in warranty.", internal: true, files: [] });
  });

  it("keeps what was typed when the server refuses, and says why", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockRejectedValue(new ApiError({ type: "x", title: "Conflict", status: 409, detail: "The ticket is closed; a comment is not possible on a closed ticket." }));
    render(<Composer onSend={onSend} requester="Rita" />);
    await user.type(screen.getByRole("textbox", { name: "Reply" }), "Hello again");
    await user.click(screen.getByRole("button", { name: "Send reply" }));
    expect(await screen.findByText(/a comment is not possible on a closed ticket/)).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Reply" })).toHaveValue("Hello again");
  });

  it("keeps what is typed while the previous message is still being sent", async () => {
    const user = userEvent.setup();
    let finish: () => void = () => undefined;
    const onSend = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<Composer onSend={onSend} requester="Rita" />);
    const box = screen.getByRole("textbox", { name: "Reply" });
    await user.type(box, "First");
    await user.click(screen.getByRole("button", { name: "Send reply" }));
    await user.clear(box);
    await user.type(box, "Second, typed meanwhile");
    await act(async () => finish());
    expect(box).toHaveValue("Second, typed meanwhile");
    expect(screen.getByRole("button", { name: "Send reply" })).toBeEnabled();
  });

  it("sends nothing while the text is blank, and sends attached files along", async () => {
    const user = userEvent.setup();
    const onSend = vi.fn().mockResolvedValue(undefined);
    render(<Composer onSend={onSend} requester="Rita" />);
    expect(screen.getByRole("button", { name: "Send reply" })).toBeDisabled();
    const file = new File(["photo"], "broken.jpg", { type: "image/jpeg" });
    await user.upload(screen.getByLabelText("Attach files"), file);
    expect(screen.getByRole("list", { name: "Files to send" })).toHaveTextContent("broken.jpg");
    await user.type(screen.getByRole("textbox", { name: "Reply" }), "Photo attached");
    await user.click(screen.getByRole("button", { name: "Send reply" }));
    expect(onSend).toHaveBeenCalledWith({ body: "Photo attached", internal: false, files: [file] });
    expect(screen.queryByRole("list", { name: "Files to send" })).not.toBeInTheDocument();
  });
});
