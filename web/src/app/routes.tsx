import type { ComponentType } from "react";
import { createBrowserRouter } from "react-router";
import type { RouteObject } from "react-router";
import type { Permission } from "@/api/client";
import { RequirePermission, RequireSession } from "./guards";
import { NotFound } from "./NotFound";
import { Shell } from "./Shell";

type Loader = () => Promise<{ default: ComponentType }>;

/** A code-split screen (its own chunk), shown only to roles with `permission`. */
function screen(path: string, load: Loader, permission?: Permission): RouteObject {
  return {
    path,
    lazy: async () => {
      const { default: Screen } = await load();
      return {
        Component: permission
          ? () => (
              <RequirePermission permission={permission}>
                <Screen />
              </RequirePermission>
            )
          : Screen,
      };
    },
  };
}

export const routes: RouteObject[] = [
  screen("/login", () => import("@/features/auth/LoginPage")),
  screen("/signup", () => import("@/features/auth/SignupPage")),
  screen("/invitation", () => import("@/features/auth/InvitationPage")),
  screen("/reset-password", () => import("@/features/auth/ResetPasswordPage")),
  screen("/csat/:token", () => import("@/features/tickets/CsatPage")),
  // The public help centre: no login, no app shell.
  screen("/help/:tenantSlug", () => import("@/features/help/HelpHomePage")),
  screen("/help/:tenantSlug/:slug", () => import("@/features/help/HelpArticlePage")),
  {
    element: (
      <RequireSession>
        <Shell />
      </RequireSession>
    ),
    children: [
      screen("/", () => import("@/features/dashboard/DashboardPage"), "inventory:read"),
      screen("/products", () => import("@/features/products/ProductsPage"), "catalog:read"),
      screen("/products/new", () => import("@/features/products/ProductCreatePage"), "catalog:write"),
      screen("/products/:productId", () => import("@/features/products/ProductPage"), "catalog:read"),
      screen("/products/:productId/edit", () => import("@/features/products/ProductEditPage"), "catalog:write"),
      screen("/stock", () => import("@/features/stock/StockHome"), "stock:write"),
      screen("/stock/reservations", () => import("@/features/stock/ReservationsPage"), "reservations:write"),
      screen("/stock/:operation", () => import("@/features/stock/OperationPage"), "stock:write"),
      screen("/counts", () => import("@/features/counts/CountPage"), "stock:write"),
      screen("/alerts", () => import("@/features/alerts/AlertsPage"), "inventory:read"),
      screen("/jobs", () => import("@/features/jobs/JobsPage"), "tenant:read"),
      screen("/warehouses", () => import("@/features/warehouses/WarehousesPage"), "inventory:read"),
      screen("/warehouses/:warehouseId", () => import("@/features/warehouses/WarehousePage"), "inventory:read"),
      screen("/tickets", () => import("@/features/tickets/TicketsPage"), "tickets:read"),
      screen("/tickets/new", () => import("@/features/tickets/TicketCreatePage"), "tickets:write"),
      screen("/tickets/reports", () => import("@/features/tickets/TicketReportPage"), "tickets:read"),
      screen("/tickets/:ticketId", () => import("@/features/tickets/TicketPage"), "tickets:read"),
      screen("/desk/agents", () => import("@/features/tickets/settings/DeskAgentsPage"), "tickets:write"),
      screen("/desk/settings", () => import("@/features/tickets/settings/DeskSettingsPage"), "settings:write"),
      screen("/kb", () => import("@/features/kb/KbPage"), "knowledge:read"),
      screen("/kb/new", () => import("@/features/kb/ArticleEditorPage"), "knowledge:write"),
      screen("/kb/:articleId", () => import("@/features/kb/ArticlePage"), "knowledge:read"),
      screen("/kb/:articleId/edit", () => import("@/features/kb/ArticleEditorPage"), "knowledge:write"),
      screen("/kb/:articleId/history", () => import("@/features/kb/HistoryPage"), "knowledge:read"),
      screen("/search", () => import("@/features/search/SearchPage")),
      screen("/members", () => import("@/features/admin/MembersPage"), "members:write"),
      screen("/api-keys", () => import("@/features/admin/ApiKeysPage"), "api_keys:read"),
      screen("/audit", () => import("@/features/admin/AuditPage"), "audit:read"),
      { path: "*", Component: NotFound },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
