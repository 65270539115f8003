import { Lock } from "lucide-react";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import type { Permission } from "@/api/client";
import { useAuth } from "@/auth/context";
import { Button, ButtonLink } from "@/ui/Button";
import { EmptyState, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";

/** Signed-in screens: the login page otherwise (coming back here afterwards). */
export function RequireSession({ children }: { children: ReactNode }) {
  const { status, meError } = useAuth();
  const location = useLocation();
  if (status === "anonymous") {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  if (status === "loading") {
    if (meError) {
      return (
        <div className="mx-auto max-w-md p-6">
          <ErrorNotice error={meError} title="Cannot load your account" action={<Button onClick={() => window.location.reload()}>Retry</Button>} />
        </div>
      );
    }
    return (
      <div className="mx-auto max-w-5xl space-y-4 p-6" aria-busy="true" aria-label="Loading">
        <Skeleton className="h-8 w-56" />
        <Skeleton className="h-48 w-full" />
      </div>
    );
  }
  return children;
}

/** A screen the role may not use says so (the navigation hides it already). */
export function RequirePermission({ permission, children }: { permission: Permission; children: ReactNode }) {
  const { can } = useAuth();
  if (!can(permission)) {
    return (
      <EmptyState icon={<Lock />} title="You don't have access to this page" action={<ButtonLink to="/">Go to the dashboard</ButtonLink>}>
        Your role does not include this. An administrator of your organisation can change your role.
      </EmptyState>
    );
  }
  return children;
}
