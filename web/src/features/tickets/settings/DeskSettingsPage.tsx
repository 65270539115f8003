import { Copy, Mail } from "lucide-react";
import { Button } from "@/ui/Button";
import { Card, CardHeader, PageHeader, Skeleton } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { useInboundAddress } from "../desk";
import { AgentsSection } from "./AgentsSection";
import { FieldsSection } from "./FieldsSection";
import { SlaSection } from "./SlaSection";
import { TeamsSection } from "./TeamsSection";

function InboundCard() {
  const { data } = useInboundAddress();
  const toast = useToast();
  return (
    <Card>
      <CardHeader title="Inbound e-mail" description="Mail sent or forwarded to this address opens tickets; replies thread onto theirs." />
      <div className="space-y-2 p-4 text-sm">
        {data ? (
          <>
            <div className="flex flex-wrap items-center gap-2">
              <Mail className="size-4 text-muted" aria-hidden />
              <code className="break-all rounded bg-raised px-2 py-1 font-mono" data-testid="inbound-address">
                {data.address}
              </code>
              <Button
                size="sm"
                variant="ghost"
                icon={<Copy className="size-4" aria-hidden />}
                onClick={() => void navigator.clipboard?.writeText(data.address).then(() => toast({ tone: "good", title: "Address copied" }))}
              >
                Copy
              </Button>
            </div>
            <p className="text-muted">
              {data.smtp_enabled ? `This server receives it directly over SMTP on port ${data.smtp_port}.` : "Forward it from your mail provider to POST /api/v1/inbound/email with an API key (the SMTP listener is off)."}
            </p>
          </>
        ) : (
          <Skeleton className="h-10" />
        )}
      </div>
    </Card>
  );
}

export default function DeskSettingsPage() {
  return (
    <>
      <PageHeader title="Desk settings" description="Teams, agents and assignment, SLA policies, custom fields and the inbound address." />
      <div className="grid gap-6 xl:grid-cols-2">
        <div className="space-y-6">
          <TeamsSection />
          <AgentsSection />
          <InboundCard />
        </div>
        <div className="space-y-6">
          <SlaSection />
          <FieldsSection />
        </div>
      </div>
    </>
  );
}
