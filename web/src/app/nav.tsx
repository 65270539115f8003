import {
  Bell,
  BookOpen,
  Boxes,
  ClipboardList,
  FileClock,
  Headset,
  Inbox,
  KeyRound,
  LayoutDashboard,
  Package,
  ScanBarcode,
  UploadCloud,
  Users,
  UsersRound,
  Warehouse,
} from "lucide-react";
import type { ReactNode } from "react";
import type { Permission } from "@/api/client";

export interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  permission: Permission;
  section: "work" | "admin";
  /** Shown in the phone's bottom bar (the warehouse screens). */
  mobile?: boolean;
}

const icon = (node: ReactNode) => node;

export const NAV: NavItem[] = [
  { to: "/", label: "Dashboard", icon: icon(<LayoutDashboard className="size-5" aria-hidden />), permission: "inventory:read", section: "work", mobile: true },
  { to: "/products", label: "Products", icon: icon(<Package className="size-5" aria-hidden />), permission: "catalog:read", section: "work", mobile: true },
  { to: "/stock", label: "Stock", icon: icon(<ScanBarcode className="size-5" aria-hidden />), permission: "stock:write", section: "work", mobile: true },
  { to: "/counts", label: "Count", icon: icon(<ClipboardList className="size-5" aria-hidden />), permission: "stock:write", section: "work", mobile: true },
  { to: "/alerts", label: "Alerts", icon: icon(<Bell className="size-5" aria-hidden />), permission: "inventory:read", section: "work" },
  { to: "/jobs", label: "Imports & exports", icon: icon(<UploadCloud className="size-5" aria-hidden />), permission: "tenant:read", section: "work" },
  { to: "/kb", label: "Knowledge", icon: icon(<BookOpen className="size-5" aria-hidden />), permission: "knowledge:read", section: "work" },
  { to: "/warehouses", label: "Warehouses", icon: icon(<Warehouse className="size-5" aria-hidden />), permission: "inventory:read", section: "work" },
  { to: "/tickets", label: "Tickets", icon: icon(<Inbox className="size-5" aria-hidden />), permission: "tickets:read", section: "work" },
  { to: "/desk/agents", label: "Agents", icon: icon(<UsersRound className="size-5" aria-hidden />), permission: "tickets:write", section: "work" },
  { to: "/desk/settings", label: "Desk settings", icon: icon(<Headset className="size-5" aria-hidden />), permission: "settings:write", section: "admin" },
  { to: "/members", label: "Members", icon: icon(<Users className="size-5" aria-hidden />), permission: "members:write", section: "admin" },
  { to: "/api-keys", label: "API keys", icon: icon(<KeyRound className="size-5" aria-hidden />), permission: "api_keys:read", section: "admin" },
  { to: "/audit", label: "Audit log", icon: icon(<FileClock className="size-5" aria-hidden />), permission: "audit:read", section: "admin" },
];

export const APP_ICON = <Boxes className="size-6" aria-hidden />;

export function visibleNav(can: (permission: Permission) => boolean): NavItem[] {
  return NAV.filter((item) => can(item.permission));
}
