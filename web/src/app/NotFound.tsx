import { Compass } from "lucide-react";
import { ButtonLink } from "@/ui/Button";
import { EmptyState } from "@/ui/layout";

export function NotFound() {
  return (
    <EmptyState icon={<Compass />} title="There is no page here" action={<ButtonLink to="/">Go to the dashboard</ButtonLink>}>
      The address may be mistyped, or the page has moved.
    </EmptyState>
  );
}
