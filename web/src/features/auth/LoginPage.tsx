import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, Navigate, useLocation, useNavigate } from "react-router";
import { z } from "zod";
import { ApiError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { AuthLayout } from "./AuthLayout";

const schema = z.object({
  email: z.string().trim().min(1, "Enter your e-mail address.").email("That is not an e-mail address."),
  password: z.string().min(1, "Enter your password."),
});
type Values = z.infer<typeof schema>;

export default function LoginPage() {
  const { status, login, endedReason } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema) });

  if (status !== "anonymous") return <Navigate to={from} replace />;

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      await login(values);
      navigate(from, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setFormError("Wrong e-mail or password.");
      else setFormError(applyServerErrors(error, setError, ["email", "password"], { username: "email" }));
    }
  });

  return (
    <AuthLayout
      title="Log in"
      subtitle="Stock, counts and alerts for your organisation."
      footer={
        <>
          New here? <Link to="/signup" className="font-medium text-accent hover:underline">Create an organisation</Link>
        </>
      }
    >
      {endedReason ? <Notice className="mb-4">{endedReason}</Notice> : null}
      <form onSubmit={submit} noValidate className="space-y-4">
        <TextField label="E-mail" type="email" autoComplete="username" autoFocus error={formState.errors.email?.message} {...register("email")} />
        <TextField label="Password" type="password" autoComplete="current-password" error={formState.errors.password?.message} {...register("password")} />
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
        <Button type="submit" variant="primary" size="lg" className="w-full" loading={formState.isSubmitting}>
          Log in
        </Button>
        <p className="text-center text-sm">
          <Link to="/reset-password" className="text-accent hover:underline">Forgot your password?</Link>
        </p>
      </form>
    </AuthLayout>
  );
}
