import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { api, unwrap } from "@/api/client";
import { ApiError, describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { formatDate } from "@/lib/format";
import { Button } from "@/ui/Button";
import { TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { AuthLayout } from "./AuthLayout";
import { tokenFromHash } from "./tokenFromHash";

/** The link in an invitation e-mail: see who invites you to what, choose a password, join. */
export default function InvitationPage() {
  const { acceptInvitation } = useAuth();
  const navigate = useNavigate();
  const token = tokenFromHash(useLocation().hash);
  const [fullName, setFullName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const preview = useQuery({
    queryKey: ["invitation", token],
    enabled: !!token,
    retry: false,
    queryFn: () => unwrap(api.POST("/api/v1/auth/invitations/preview", { body: { token: token ?? "" } })),
  });

  if (!token || preview.error) {
    const gone = preview.error instanceof ApiError && preview.error.status === 410;
    return (
      <AuthLayout title="This invitation cannot be used">
        <Notice tone="warn">{!token ? "The link is incomplete: open it from the e-mail again." : gone ? "It has expired, was withdrawn or was used already. Ask for a new one." : describeError(preview.error)}</Notice>
        <p className="mt-4 text-sm"><Link to="/login" className="font-medium text-accent hover:underline">Go to the login</Link></p>
      </AuthLayout>
    );
  }
  if (!preview.data) return <AuthLayout title="Opening your invitation…"><Skeleton className="h-32" /></AuthLayout>;
  const invitation = preview.data;
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await acceptInvitation({ token, password, full_name: invitation.account_exists ? null : fullName.trim() || null });
      navigate("/", { replace: true });
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 401 ? "That is not the password of your account." : describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthLayout title={`Join ${invitation.organization.name}`} subtitle={`${invitation.invited_by ?? "Someone"} invites ${invitation.email} as ${invitation.role}. The link works until ${formatDate(invitation.expires_at)}.`}>
      <form onSubmit={submit} className="space-y-4">
        {invitation.account_exists ? (
          <Notice>You already have an account: enter its password to add this organisation to it.</Notice>
        ) : (
          <TextField label="Your name" autoComplete="name" autoFocus value={fullName} onChange={(e) => setFullName(e.target.value)} />
        )}
        <TextField
          label={invitation.account_exists ? "Your password" : "Choose a password"}
          type="password"
          autoComplete={invitation.account_exists ? "current-password" : "new-password"}
          hint={invitation.account_exists ? undefined : "At least 10 characters."}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? <Notice tone="bad">{error}</Notice> : null}
        <Button type="submit" variant="primary" size="lg" className="w-full" loading={busy}>
          Join {invitation.organization.name}
        </Button>
      </form>
    </AuthLayout>
  );
}
