import { createContext, useContext } from "react";
import type { Me, Permission, Schemas } from "@/api/client";

export type AuthStatus = "anonymous" | "loading" | "ready";

export interface LoginInput {
  email: string;
  password: string;
}

export interface Auth {
  status: AuthStatus;
  me: Me | null;
  /** Why /me could not be loaded (offline with nothing cached, server down). */
  meError: unknown;
  tenantId: string | null;
  /** Why the last session ended, shown on the login screen. */
  endedReason: string | null;
  can: (permission: Permission) => boolean;
  login: (input: LoginInput) => Promise<void>;
  signup: (input: Schemas["SignupIn"]) => Promise<void>;
  /** Accept an invitation (the link's token) and sign in to that organisation. */
  acceptInvitation: (input: Schemas["InvitationAccept"]) => Promise<void>;
  logout: () => Promise<void>;
  switchTenant: (tenantId: string) => Promise<void>;
}

export const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}

/** Whether the signed-in role may do something (hide what it may not). */
export function useCan(permission: Permission): boolean {
  return useAuth().can(permission);
}
