import { useQueryClient } from "@tanstack/react-query";
import { Clock, Pencil, Plus } from "lucide-react";
import { useState } from "react";
import { ApiError, describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { CheckboxField, TextAreaField, TextField } from "@/ui/Field";
import { Badge, Card, CardHeader, EmptyState } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { PRIORITY_LABELS } from "../badges";
import { createPolicy, updatePolicy, useSlaPolicies } from "../desk";
import type { SlaPolicy } from "../desk";
import type { Priority } from "../filters";
import { deskKeys } from "../keys";
import { DAY_NAMES, WEEKDAYS, hoursSummary, policyBody, policyText } from "./policyForm";
import type { PolicyText } from "./policyForm";

function PolicyDialog({ policy, onClose }: { policy: SlaPolicy | null; onClose: () => void }) {
  const [text, setText] = useState<PolicyText>(() => policyText(policy));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const set = (changes: Partial<PolicyText>) => setText({ ...text, ...changes });

  const save = async () => {
    const parsed = policyBody(text);
    if ("error" in parsed) return setError(parsed.error);
    setBusy(true);
    setError(null);
    try {
      if (policy) await updatePolicy(policy, parsed.body);
      else await createPolicy(parsed.body);
      void client.invalidateQueries({ queryKey: deskKeys.policies() });
      onClose();
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 412 ? "Changed by someone else meanwhile — close this, and open it again to see their version." : describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={policy ? `Edit ${policy.name}` : "New SLA policy"}
      description="Targets count business hours only; the clock stops while a ticket is pending."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={busy} onClick={() => void save()}>
            {policy ? "Save policy" : "Create policy"}
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <div className="grid gap-3 sm:grid-cols-2">
          <TextField label="Name" value={text.name} onChange={(e) => set({ name: e.target.value })} />
          <TextField label="Time zone" value={text.time_zone} onChange={(e) => set({ time_zone: e.target.value })} hint="e.g. Europe/Berlin" />
        </div>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Business hours</legend>
          {WEEKDAYS.map((day) => (
            <TextField key={day} label={DAY_NAMES[day]} placeholder="closed" value={text.hours[day] ?? ""} onChange={(e) => set({ hours: { ...text.hours, [day]: e.target.value } })} />
          ))}
        </fieldset>
        <TextAreaField label="Holidays" hint="One date per line, YYYY-MM-DD." value={text.holidays} onChange={(e) => set({ holidays: e.target.value })} />
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Targets (business hours)</legend>
          {Object.entries(text.targets).map(([priority, target]) => (
            <div key={priority} className="grid grid-cols-2 gap-3">
              <TextField label={`${PRIORITY_LABELS[priority as Priority]}: first response`} inputMode="decimal" value={target.first} onChange={(e) => set({ targets: { ...text.targets, [priority]: { ...target, first: e.target.value } } })} />
              <TextField label={`${PRIORITY_LABELS[priority as Priority]}: resolution`} inputMode="decimal" value={target.resolution} onChange={(e) => set({ targets: { ...text.targets, [priority]: { ...target, resolution: e.target.value } } })} />
            </div>
          ))}
        </fieldset>
        <CheckboxField label="Default policy" hint="For tickets whose team has no policy of its own." checked={text.is_default} onChange={(e) => set({ is_default: e.target.checked })} />
        {error ? <Notice tone="bad">{error}</Notice> : null}
      </div>
    </Dialog>
  );
}

const hours = (minutes: number | null | undefined) => (minutes ? `${Math.round((minutes / 60) * 10) / 10} h` : "—");

/** SLA policies: targets per priority on a business-hours calendar. */
export function SlaSection() {
  const { data: policies } = useSlaPolicies();
  const [editing, setEditing] = useState<SlaPolicy | "new" | null>(null);
  return (
    <Card>
      <CardHeader
        title="SLA policies"
        description="How fast each priority is answered and resolved, in business hours."
        actions={
          <Button size="sm" variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setEditing("new")}>
            New policy
          </Button>
        }
      />
      {policies?.length ? (
        <ul className="divide-y divide-line">
          {policies.map((policy) => (
            <li key={policy.id} className="flex flex-wrap items-start justify-between gap-3 p-4 text-sm">
              <div className="min-w-0 space-y-1">
                <h3 className="font-semibold">
                  {policy.name} {policy.is_default ? <Badge tone="accent">Default</Badge> : null}
                </h3>
                <p className="text-muted">
                  {policy.time_zone} · {hoursSummary(policy.weekly_hours)}
                  {policy.holidays.length ? ` · ${policy.holidays.length} holiday${policy.holidays.length === 1 ? "" : "s"}` : ""}
                </p>
                <p className="num text-muted">
                  {(["urgent", "high", "normal", "low"] as const).map((p) => `${PRIORITY_LABELS[p]} ${hours(policy.targets[p]?.first_response_minutes)} / ${hours(policy.targets[p]?.resolution_minutes)}`).join(" · ")}
                </p>
              </div>
              <Button size="sm" icon={<Pencil className="size-4" aria-hidden />} onClick={() => setEditing(policy)}>
                Edit
              </Button>
            </li>
          ))}
        </ul>
      ) : policies ? (
        <EmptyState icon={<Clock />} title="No SLA policy yet">Without one, tickets have no due times. Create a default policy with your business hours.</EmptyState>
      ) : null}
      {editing ? <PolicyDialog policy={editing === "new" ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
