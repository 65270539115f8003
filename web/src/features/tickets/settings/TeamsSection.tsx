import { useQueryClient } from "@tanstack/react-query";
import { Pencil, Plus, Users } from "lucide-react";
import { useState } from "react";
import type { Schemas } from "@/api/client";
import { ApiError, describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { CheckboxField, SelectField, TextField } from "@/ui/Field";
import { Badge, Card, CardHeader, EmptyState } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createTeam, setAway, updateTeam, useAgents, useSlaPolicies, useTeams } from "../desk";
import type { Team } from "../desk";
import { deskKeys } from "../keys";

export const STRATEGIES: Record<Schemas["AssignmentStrategy"], string> = {
  manual: "Manual — agents pick tickets",
  round_robin: "Round robin — in turn",
  load_balanced: "Load balanced — fewest open tickets",
};

function TeamDialog({ team, onClose }: { team: Team | null; onClose: () => void }) {
  const { data: agents } = useAgents();
  const { data: policies } = useSlaPolicies();
  const [name, setName] = useState(team?.name ?? "");
  const [strategy, setStrategy] = useState<Schemas["AssignmentStrategy"]>(team?.assignment_strategy ?? "round_robin");
  const [policy, setPolicy] = useState(team?.sla_policy_id ?? "");
  const [isDefault, setDefault] = useState(team?.is_default ?? false);
  const [members, setMembers] = useState<string[]>(team?.members.map((m) => m.user_id) ?? []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();

  const save = async () => {
    setBusy(true);
    setError(null);
    const body = { name, assignment_strategy: strategy, sla_policy_id: policy || null, is_default: isDefault, member_ids: members };
    try {
      if (team) await updateTeam(team, body);
      else await createTeam(body);
      void client.invalidateQueries({ queryKey: deskKeys.all });
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
      title={team ? `Edit ${team.name}` : "New team"}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" loading={busy} onClick={() => void save()}>
            {team ? "Save team" : "Create team"}
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        <SelectField label="Assignment" value={strategy} onChange={(e) => setStrategy(e.target.value as Schemas["AssignmentStrategy"])}>
          {Object.entries(STRATEGIES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <SelectField label="SLA policy" value={policy} onChange={(e) => setPolicy(e.target.value)} hint="None: the default policy applies.">
          <option value="">The default policy</option>
          {(policies ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <CheckboxField label="Default team" hint="Receives tickets that name no team (e-mail, API)." checked={isDefault} onChange={(e) => setDefault(e.target.checked)} />
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Members</legend>
          {(agents ?? []).map((agent) => (
            <CheckboxField
              key={agent.user_id}
              label={agent.full_name}
              hint={agent.email}
              checked={members.includes(agent.user_id)}
              onChange={(e) => setMembers(e.target.checked ? [...members, agent.user_id] : members.filter((id) => id !== agent.user_id))}
            />
          ))}
        </fieldset>
        {error ? <Notice tone="bad">{error}</Notice> : null}
      </div>
    </Dialog>
  );
}

/** Teams, their members (with each agent's away switch) and how tickets are assigned. */
export function TeamsSection() {
  const { data: teams } = useTeams();
  const { data: policies } = useSlaPolicies();
  const [editing, setEditing] = useState<Team | "new" | null>(null);
  const client = useQueryClient();
  const toast = useToast();
  const away = (userId: string, value: boolean) =>
    setAway(userId, value)
      .then(() => client.invalidateQueries({ queryKey: deskKeys.all }))
      .catch((error: unknown) => toast({ tone: "bad", title: "Not changed", body: describeError(error) }));

  return (
    <Card>
      <CardHeader
        title="Teams"
        description="Who answers tickets, and how new ones are shared out. Away agents are skipped."
        actions={
          <Button size="sm" variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setEditing("new")}>
            New team
          </Button>
        }
      />
      {teams?.length ? (
        <ul className="divide-y divide-line">
          {teams.map((team) => (
            <li key={team.id} className="space-y-2 p-4">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <div>
                  <h3 className="font-semibold">
                    {team.name} {team.is_default ? <Badge tone="accent">Default</Badge> : null}
                  </h3>
                  <p className="text-sm text-muted">
                    {STRATEGIES[team.assignment_strategy]} · SLA: {policies?.find((p) => p.id === team.sla_policy_id)?.name ?? "the default policy"}
                  </p>
                </div>
                <Button size="sm" icon={<Pencil className="size-4" aria-hidden />} onClick={() => setEditing(team)}>
                  Edit
                </Button>
              </div>
              {team.members.length ? (
                <ul className="flex flex-wrap gap-2" aria-label={`Members of ${team.name}`}>
                  {team.members.map((m) => (
                    <li key={m.user_id} className="flex items-center gap-2 rounded-lg border border-line px-2 py-1 text-sm">
                      {m.full_name}
                      <label className="flex items-center gap-1 text-xs text-muted">
                        <input type="checkbox" checked={m.is_away} onChange={(e) => void away(m.user_id, e.target.checked)} className="accent-[var(--qm-accent)]" />
                        <span className="sr-only">{m.full_name} is</span> Away
                      </label>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-sm text-muted">No members yet.</p>
              )}
            </li>
          ))}
        </ul>
      ) : teams ? (
        <EmptyState icon={<Users />} title="No teams yet">Create a team, add agents, and choose how tickets are assigned to them.</EmptyState>
      ) : null}
      {editing ? <TeamDialog team={editing === "new" ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
