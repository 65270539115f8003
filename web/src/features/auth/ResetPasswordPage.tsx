import { useState } from "react";
import { Link, useLocation } from "react-router";
import { api, unwrap } from "@/api/client";
import { ApiError, describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { AuthLayout } from "./AuthLayout";
import { tokenFromHash } from "./tokenFromHash";

/** Without a token: ask for a reset link. With the link's token: choose a new password. */
export default function ResetPasswordPage() {
  const token = tokenFromHash(useLocation().hash);
  const [value, setValue] = useState("");
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const back = <Link to="/login" className="font-medium text-accent hover:underline">Back to the login</Link>;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (token) await unwrap(api.POST("/api/v1/auth/password-reset/confirm", { body: { token, new_password: value } }));
      else await unwrap(api.POST("/api/v1/auth/password-reset", { body: { email: value.trim() } }));
      setDone(true);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 410 ? "This link has expired or was used already: ask for a new one." : describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <AuthLayout title={token ? "Password changed" : "Check your e-mail"} footer={back}>
        <Notice tone="good">{token ? "Log in with your new password. Other sessions of your account were signed out." : "If an account has that address, a link to choose a new password is on its way."}</Notice>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title={token ? "Choose a new password" : "Forgot your password?"} subtitle={token ? undefined : "We e-mail you a link to choose a new one."} footer={back}>
      <form onSubmit={submit} className="space-y-4">
        {token ? (
          <TextField label="New password" type="password" autoComplete="new-password" autoFocus hint="At least 10 characters." value={value} onChange={(e) => setValue(e.target.value)} />
        ) : (
          <TextField label="E-mail" type="email" autoComplete="username" autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
        )}
        {error ? <Notice tone="bad">{error}</Notice> : null}
        <Button type="submit" variant="primary" size="lg" className="w-full" loading={busy}>
          {token ? "Save password" : "Send the link"}
        </Button>
      </form>
    </AuthLayout>
  );
}
