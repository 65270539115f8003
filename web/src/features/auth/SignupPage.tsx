import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, Navigate, useNavigate } from "react-router";
import { z } from "zod";
import { useAuth } from "@/auth/context";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { AuthLayout } from "./AuthLayout";

const schema = z
  .object({
    organization: z.string().trim().min(1, "Name your organisation."),
    full_name: z.string().trim().min(1, "Enter your name."),
    email: z.string().trim().email("That is not an e-mail address."),
    password: z.string().min(10, "Use at least 10 characters."),
  })
  .refine((v) => v.password.toLowerCase() !== v.email.toLowerCase(), {
    path: ["password"],
    message: "The password may not be your e-mail address.",
  });
type Values = z.infer<typeof schema>;
const FIELDS = ["organization", "full_name", "email", "password"] as const;

export default function SignupPage() {
  const { status, signup } = useAuth();
  const navigate = useNavigate();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema) });

  if (status !== "anonymous") return <Navigate to="/" replace />;

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      await signup(values);
      navigate("/", { replace: true });
    } catch (error) {
      setFormError(applyServerErrors(error, setError, FIELDS));
    }
  });

  return (
    <AuthLayout
      title="Create your organisation"
      subtitle="You become its owner and can invite your team afterwards."
      footer={
        <>
          Already have an account? <Link to="/login" className="font-medium text-accent hover:underline">Log in</Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        <TextField label="Organisation" autoComplete="organization" autoFocus error={formState.errors.organization?.message} {...register("organization")} />
        <TextField label="Your name" autoComplete="name" error={formState.errors.full_name?.message} {...register("full_name")} />
        <TextField label="E-mail" type="email" autoComplete="email" error={formState.errors.email?.message} {...register("email")} />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
          error={formState.errors.password?.message}
          {...register("password")}
        />
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
        <Button type="submit" variant="primary" size="lg" className="w-full" loading={formState.isSubmitting}>
          Create organisation
        </Button>
      </form>
    </AuthLayout>
  );
}
