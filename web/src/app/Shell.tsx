import { Menu, Search, X } from "lucide-react";
import { Suspense, useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useAuth } from "@/auth/context";
import { AlertToaster } from "@/features/alerts/AlertToaster";
import { CountSyncAgent, OfflineQueueBadge } from "@/features/counts";
import { cn } from "@/lib/cn";
import { Skeleton } from "@/ui/layout";
import { CommandPalette } from "./CommandPalette";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { APP_ICON, visibleNav } from "./nav";
import type { NavItem } from "./nav";
import { OrganisationSwitch, ThemeSwitch, UserBlock } from "./SessionMenu";

function SideLink({ item, onNavigate }: { item: NavItem; onNavigate?: () => void }) {
  return (
    <NavLink
      to={item.to}
      end={item.to === "/"}
      onClick={onNavigate}
      className={({ isActive }) =>
        cn(
          "flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium",
          isActive ? "bg-accent-soft text-accent-strong" : "text-muted hover:bg-raised hover:text-ink",
        )
      }
    >
      {item.icon}
      {item.label}
    </NavLink>
  );
}

function NavSections({ items, onNavigate }: { items: NavItem[]; onNavigate?: () => void }) {
  const work = items.filter((i) => i.section === "work");
  const admin = items.filter((i) => i.section === "admin");
  return (
    <nav aria-label="Main" className="space-y-6">
      <div className="space-y-1">
        {work.map((item) => (
          <SideLink key={item.to} item={item} onNavigate={onNavigate} />
        ))}
      </div>
      {admin.length ? (
        <div className="space-y-1">
          <p className="px-3 pb-1 text-xs font-semibold uppercase tracking-wide text-muted">Administration</p>
          {admin.map((item) => (
            <SideLink key={item.to} item={item} onNavigate={onNavigate} />
          ))}
        </div>
      ) : null}
    </nav>
  );
}

function Brand() {
  return (
    <div className="flex items-center gap-2 text-accent">
      {APP_ICON}
      <span className="text-base font-semibold text-ink">Quartermaster</span>
    </div>
  );
}

function PageFallback() {
  return (
    <div className="space-y-4" aria-busy="true" aria-label="Loading">
      <Skeleton className="h-8 w-48" />
      <Skeleton className="h-40 w-full" />
    </div>
  );
}

export function Shell() {
  const { can } = useAuth();
  const items = visibleNav(can);
  const [drawer, setDrawer] = useState(false);

  return (
    <div className="min-h-full md:pl-64">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-surface focus:px-3 focus:py-2">
        Skip to content
      </a>
      <aside className="fixed inset-y-0 left-0 hidden w-64 flex-col gap-6 border-r border-line bg-surface px-3 py-4 md:flex">
        <div className="space-y-3 px-2">
          <Brand />
          <OrganisationSwitch />
        </div>
        <div className="flex-1 overflow-y-auto">
          <NavSections items={items} />
        </div>
        <div className="space-y-3 border-t border-line px-2 pt-3">
          <div className="flex items-center justify-between gap-2">
            <ConnectionIndicator />
            <ThemeSwitch />
          </div>
          <OfflineQueueBadge />
          <UserBlock />
        </div>
      </aside>

      <header className="sticky top-0 z-30 flex h-14 items-center justify-between gap-2 border-b border-line bg-surface/95 px-3 backdrop-blur md:hidden">
        <Brand />
        <div className="flex items-center gap-2">
          <OfflineQueueBadge compact />
          <ConnectionIndicator />
          <button type="button" aria-label="Menu" aria-expanded={drawer} onClick={() => setDrawer(true)} className="rounded-lg p-2 hover:bg-raised">
            <Menu className="size-5" aria-hidden />
          </button>
        </div>
      </header>

      {drawer ? (
        <div className="fixed inset-0 z-40 md:hidden" role="dialog" aria-modal="true" aria-label="Menu">
          <button type="button" aria-label="Close menu" className="absolute inset-0 bg-black/40" onClick={() => setDrawer(false)} />
          <div className="absolute inset-y-0 right-0 flex w-72 max-w-[85vw] flex-col gap-5 bg-surface p-4 shadow-xl">
            <div className="flex items-center justify-between">
              <OrganisationSwitch />
              <button type="button" aria-label="Close menu" onClick={() => setDrawer(false)} className="rounded-lg p-2 hover:bg-raised">
                <X className="size-5" aria-hidden />
              </button>
            </div>
            <div className="flex-1 overflow-y-auto">
              <NavSections items={items} onNavigate={() => setDrawer(false)} />
              <NavLink to="/search" onClick={() => setDrawer(false)} className="mt-6 flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium text-muted hover:bg-raised hover:text-ink">
                <Search className="size-5" aria-hidden />
                Search everything
              </NavLink>
            </div>
            <ThemeSwitch />
            <UserBlock />
          </div>
        </div>
      ) : null}

      <main id="main" className="mx-auto max-w-7xl px-3 pb-24 pt-4 sm:px-6 md:pb-10 md:pt-8">
        <Suspense fallback={<PageFallback />}>
          <Outlet />
        </Suspense>
      </main>

      <nav aria-label="Quick" className="fixed inset-x-0 bottom-0 z-30 grid auto-cols-fr grid-flow-col border-t border-line bg-surface pb-[env(safe-area-inset-bottom)] md:hidden">
        {items
          .filter((i) => i.mobile)
          .map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              end={item.to === "/"}
              className={({ isActive }) =>
                cn("flex h-16 flex-col items-center justify-center gap-1 text-xs font-medium", isActive ? "text-accent" : "text-muted")
              }
            >
              {item.icon}
              {item.label}
            </NavLink>
          ))}
      </nav>
      <AlertToaster />
      <CountSyncAgent />
      <CommandPalette items={items} />
    </div>
  );
}
