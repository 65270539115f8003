import { Building2, LogOut, Monitor, Moon, Sun } from "lucide-react";
import { useState } from "react";
import { useAuth } from "@/auth/context";
import { cn } from "@/lib/cn";
import { useToast } from "@/ui/toast-context";
import { describeError } from "@/api/problem";
import { useTheme } from "./theme";
import type { ThemeChoice } from "./theme";

const THEMES: { value: ThemeChoice; label: string; icon: typeof Sun }[] = [
  { value: "light", label: "Light", icon: Sun },
  { value: "dark", label: "Dark", icon: Moon },
  { value: "system", label: "System", icon: Monitor },
];

export function ThemeSwitch() {
  const [theme, setTheme] = useTheme();
  return (
    <div role="radiogroup" aria-label="Colour theme" className="inline-flex rounded-lg border border-line p-0.5">
      {THEMES.map(({ value, label, icon: Icon }) => (
        <button
          key={value}
          type="button"
          role="radio"
          aria-checked={theme === value}
          title={label}
          onClick={() => setTheme(value)}
          className={cn("rounded-md p-1.5 text-muted hover:text-ink", theme === value && "bg-raised text-ink")}
        >
          <Icon className="size-4" aria-hidden />
          <span className="sr-only">{label}</span>
        </button>
      ))}
    </div>
  );
}

/** The organisation you act in (switchable when you belong to several). */
export function OrganisationSwitch() {
  const { me, switchTenant } = useAuth();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  if (!me) return null;
  if (me.memberships.length < 2) {
    return (
      <p className="flex items-center gap-2 truncate text-sm font-medium" title={me.tenant.name}>
        <Building2 className="size-4 shrink-0 text-muted" aria-hidden />
        <span className="truncate">{me.tenant.name}</span>
      </p>
    );
  }
  return (
    <label className="block">
      <span className="sr-only">Organisation</span>
      <select
        value={me.tenant.id}
        disabled={busy}
        onChange={async (event) => {
          setBusy(true);
          try {
            await switchTenant(event.target.value);
          } catch (error) {
            toast({ tone: "bad", title: "Could not switch organisation", body: describeError(error) });
          } finally {
            setBusy(false);
          }
        }}
        className="w-full truncate rounded-lg border border-line bg-surface px-2 py-1.5 text-sm font-medium"
      >
        {me.memberships.map((m) => (
          <option key={m.tenant.id} value={m.tenant.id}>
            {m.tenant.name} ({m.role})
          </option>
        ))}
      </select>
    </label>
  );
}

export function UserBlock() {
  const { me, logout } = useAuth();
  if (!me) return null;
  const name = me.user?.full_name ?? me.api_key?.name ?? "";
  return (
    <div className="flex items-center justify-between gap-2">
      <div className="min-w-0 text-sm">
        <p className="truncate font-medium">{name}</p>
        <p className="truncate text-xs text-muted">
          {me.user?.email} · <span className="capitalize">{me.role}</span>
        </p>
      </div>
      <button type="button" onClick={() => void logout()} className="rounded-lg p-2 text-muted hover:bg-raised hover:text-ink" title="Log out">
        <LogOut className="size-4" aria-hidden />
        <span className="sr-only">Log out</span>
      </button>
    </div>
  );
}
