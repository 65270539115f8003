import { expect, test } from "@playwright/test";
import { ratingToken, seedDesk } from "./desk-support";
import { accessible, addMember, createOrg, newUserPage, rest, shot, waitLive } from "./support";

test("service desk: an agent opens a ticket a colleague sees live, notes, replies and resolves it; the requester rates once", async ({ browser, request }) => {
  const org = await createOrg(request, "Acme Support");
  await seedDesk(request, org.token);

  // A colleague watches the queue in another browser (no reload from here on).
  const watcher = await newUserPage(browser, org.email);
  await watcher.page.goto("/tickets");
  await expect(watcher.page.getByRole("heading", { name: "Tickets" })).toBeVisible();
  await waitLive(watcher.page);

  const agent = await newUserPage(browser, org.email);
  const page = agent.page;
  await page.goto("/tickets/new");
  await page.getByLabel("Subject").fill("Cordless drill does not charge");
  await page.getByLabel("Description").fill("The **charger** light blinks red.\n\n- bought in March\n- 18V model");
  await page.getByLabel("Requester e-mail").fill("rita@customer.example");
  await page.getByLabel("Requester name").fill("Rita Requester");
  await page.getByLabel("Priority").selectOption("high");
  await page.getByLabel("Tags").fill("warranty, charger");
  await page.getByLabel("Serial number").fill("SN-4711");
  await page.getByRole("button", { name: "Create ticket" }).click();

  await expect(page.getByRole("heading", { name: "Cordless drill does not charge" })).toBeVisible();
  const ticketId = page.url().split("/").pop()!;
  await expect(watcher.page.getByRole("list", { name: "Tickets" })).toContainText("Cordless drill does not charge");

  // Another agent changes the details meanwhile: the open ticket's sidebar follows, live.
  await waitLive(page);
  await rest(request, org.token).patch(`/tickets/${ticketId}`, { custom_fields: { serial_number: "SN-4712", purchase_channel: "Retail" }, priority: "urgent", tags: ["warranty", "charger", "vip"] });
  const facts = page.getByRole("complementary", { name: "Ticket facts" });
  await expect(facts.getByLabel("Serial number")).toHaveValue("SN-4712");
  await expect(facts.getByLabel("Bought at")).toHaveValue("Retail");
  await expect(facts.getByLabel("Priority")).toHaveValue("urgent");
  await expect(facts.getByLabel("Tags")).toHaveValue("charger, vip, warranty");
  await expect(facts.getByRole("button", { name: "Save details" })).toHaveCount(0);

  // An internal note, then a public reply (which opens the ticket and stops the first-response clock).
  await page.getByRole("radio", { name: "Internal note" }).click();
  await page.getByRole("textbox", { name: "Internal note" }).fill("Serial SN-4711 is in warranty.");
  await page.getByRole("button", { name: "Add note" }).click();
  const note = page.getByTestId("internal-note");
  await expect(note).toContainText("Serial SN-4711 is in warranty.");
  await expect(note).toContainText("Internal note");
  await expect(page.getByRole("textbox", { name: "Internal note" })).toHaveValue("");
  await page.getByRole("radio", { name: "Reply" }).click();
  await page.getByRole("textbox", { name: "Reply" }).fill("Sorry about that — a new charger is on its way.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByTestId("public-reply")).toContainText("a new charger is on its way");
  await expect(page.getByTestId("public-reply")).not.toContainText("Internal note");

  const status = page.getByRole("group", { name: "Change status" });
  await expect(status.getByRole("button", { name: "Set pending" })).toBeVisible();
  await status.getByRole("button", { name: "Set pending" }).click();
  await expect(page.getByTestId("sla-clocks")).toContainText("Paused while pending");
  await status.getByRole("button", { name: "Resolve", exact: true }).click();
  await expect(status.getByRole("button", { name: "Reopen" })).toBeVisible();

  // Resolved leaves the colleague's "needs work" queue by itself.
  await expect(watcher.page.getByRole("list", { name: "Tickets" }).or(watcher.page.getByText("No tickets to work on"))).not.toContainText("Cordless drill does not charge");

  // The requester follows the rating link from the e-mail, in a browser without a login.
  const token = await ratingToken(request, org.token, ticketId);
  const requester = await browser.newContext({ viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
  const rating = await requester.newPage();
  await rating.goto(`/csat/${token}`);
  await expect(rating.getByText(/Cordless drill does not charge/)).toBeVisible();
  await shot(rating, "csat-360-light");
  await rating.getByRole("radio", { name: "5 — Excellent" }).click();
  await rating.getByLabel("Anything to add? (optional)").fill("Fast and friendly.");
  await rating.getByRole("button", { name: "Send rating" }).click();
  await expect(rating.getByRole("heading", { name: "Thank you!" })).toBeVisible();
  await rating.reload();
  await expect(rating.getByText("This link has been used")).toBeVisible();
  await rating.goto("/csat/not-a-real-token");
  await expect(rating.getByRole("heading", { name: "This link does not work" })).toBeVisible();

  // The agent sees the rating on the ticket, live.
  await expect(page.getByTestId("csat-card")).toContainText("Fast and friendly.");

  await requester.close();
  await agent.context.close();
  await watcher.context.close();
});

test("service desk: a viewer reads tickets but does not see desk settings", async ({ browser, request }) => {
  const org = await createOrg(request);
  await seedDesk(request, org.token);
  await rest(request, org.token).post("/tickets", { subject: "Where is my order?", requester: { email: "olaf@customer.example", name: "Olaf" } });
  const viewer = await addMember(request, org.token, "viewer", "Vic Viewer");

  const { context, page } = await newUserPage(browser, viewer);
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Tickets" }).click();
  await expect(page.getByRole("list", { name: "Tickets" })).toContainText("Where is my order?");
  await expect(nav.getByRole("link", { name: "Desk settings" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "New ticket" })).toHaveCount(0);
  // Keyboard first: j moves to the first row, Enter opens it.
  await page.keyboard.press("j");
  await expect(page.getByRole("list", { name: "Tickets" }).getByRole("link").first()).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Where is my order?" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Reply or note" })).toHaveCount(0);
  await page.goto("/desk/settings");
  await expect(page.getByText("You don't have access to this page")).toBeVisible();
  await context.close();
});

test("service desk: a manager marks another agent away; an agent only themselves", async ({ browser, request }) => {
  const org = await createOrg(request, "Acme Support");
  const desk = await seedDesk(request, org.token);
  const manager = await addMember(request, org.token, "manager", "Mia Manager");
  const staff = await addMember(request, org.token, "staff", "Sam Staff");
  const api = rest(request, org.token);
  const agents = (await api.get<{ items: { user_id: string; email: string }[] }>("/agents?limit=500")).items;
  const samId = agents.find((a) => a.email === staff)!.user_id;
  const ownerId = agents.find((a) => a.email === org.email)!.user_id;
  await api.patch(`/teams/${desk.team.id}`, { member_ids: [ownerId, samId] });
  await api.post("/tickets", { subject: "Where is my order?", assignee_id: ownerId, requester: { email: "olaf@customer.example", name: "Olaf" } });

  const { context, page } = await newUserPage(browser, manager, { viewport: { width: 1280, height: 860 } });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  const table = page.getByRole("table", { name: "Agents" });
  await expect(table).toContainText("Sam Staff");
  await expect(table.getByRole("row", { name: /Olivia Owner/ }).getByRole("cell").nth(2)).toHaveText("1");
  await page.getByRole("switch", { name: "Sam Staff is away" }).click();
  await expect(page.getByRole("switch", { name: "Sam Staff is away" })).toHaveAttribute("aria-checked", "true");
  const sam = (await api.get<{ items: { user_id: string; is_away: boolean }[] }>("/agents?limit=500")).items.find((a) => a.user_id === samId)!;
  expect(sam.is_away).toBe(true);
  await page.waitForLoadState("networkidle");
  await shot(page, "desk-agents-1280-light");
  await accessible(page, "desk agents (1280, light)");

  // Sam sees the same list; only their own switch can be changed.
  const samPage = await newUserPage(browser, staff);
  await samPage.page.goto("/desk/agents");
  await expect(samPage.page.getByRole("switch", { name: "Olivia Owner is away" })).toBeDisabled();
  await expect(samPage.page.getByRole("switch", { name: "Sam Staff is away" })).toBeEnabled();
  await expect(samPage.page.getByRole("switch", { name: "Sam Staff is away" })).toHaveAttribute("aria-checked", "true");
  await samPage.page.getByRole("switch", { name: "Sam Staff is away" }).click();
  await expect(samPage.page.getByRole("switch", { name: "Sam Staff is away" })).toHaveAttribute("aria-checked", "false");
  // The manager's screen, left open, follows without a reload (servicedesk.agent.updated).
  await expect(page.getByRole("switch", { name: "Sam Staff is away" })).toHaveAttribute("aria-checked", "false");
  await samPage.context.close();
  await context.close();
});
