import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Users } from "lucide-react";
import type { Role } from "@/api/client";
import { describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { cn } from "@/lib/cn";
import { Badge, Card, CardHeader, EmptyState, Skeleton, Table, Td, Th } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { putAgent, setAway, useAgents, useTeams } from "../desk";
import type { Agent } from "../desk";
import { deskKeys } from "../keys";

const MANAGER_AND_UP: Role[] = ["manager", "admin", "owner"];

/** The API's rule (PATCH /agents/{id}): agents change their own flag, managers anyone's. */
export function canMarkAway(myRole: Role | undefined, myId: string | undefined, agentId: string): boolean {
  return agentId === myId || (!!myRole && MANAGER_AND_UP.includes(myRole));
}

function AwaySwitch({ agent, disabled, onChange }: { agent: Agent; disabled: boolean; onChange: (away: boolean) => void }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={agent.is_away}
      aria-label={`${agent.full_name} is away`}
      disabled={disabled}
      onClick={() => onChange(!agent.is_away)}
      className={cn("relative inline-flex h-6 w-11 shrink-0 rounded-full border transition-colors disabled:cursor-not-allowed disabled:opacity-60", agent.is_away ? "border-warn bg-warn" : "border-line bg-line")}
    >
      <span aria-hidden className={cn("absolute top-0.5 size-[1.125rem] rounded-full bg-surface shadow transition-all", agent.is_away ? "left-[1.25rem]" : "left-0.5")} />
    </button>
  );
}

/** Every agent with their teams, open tickets and away switch: managers mark anyone away
 * (holiday, sick leave), agents only themselves; assignment skips away agents. */
export function AgentsSection() {
  const { me } = useAuth();
  const { data: agents } = useAgents();
  const { data: teams } = useTeams();
  const client = useQueryClient();
  const toast = useToast();
  const mutation = useMutation({
    mutationFn: ({ agent, away }: { agent: Agent; away: boolean }) => setAway(agent.user_id, away),
    onSuccess: (saved) => {
      putAgent(client, saved.user_id, saved);
      void client.invalidateQueries({ queryKey: deskKeys.teams() });
      toast({ tone: "info", title: saved.is_away ? `${saved.full_name} is away: no new tickets are assigned` : `${saved.full_name} is back: tickets are assigned again` });
    },
    onError: (error) => toast({ tone: "bad", title: "Not changed", body: describeError(error) }),
  });
  const myId = me?.user?.id;
  const teamNames = (agent: Agent) => agent.team_ids.map((id) => teams?.find((t) => t.id === id)?.name).filter(Boolean).join(", ");

  return (
    <Card>
      <CardHeader title="Agents" description="Who is in, who is away and how many open tickets each holds. Managers mark anyone away; agents only themselves." />
      {agents?.length ? (
        <Table label="Agents">
          <thead>
            <tr>
              <Th>Agent</Th>
              <Th>Teams</Th>
              <Th align="right">Open tickets</Th>
              <Th align="right">Away</Th>
            </tr>
          </thead>
          <tbody>
            {agents.map((agent) => {
              const may = canMarkAway(me?.role, myId, agent.user_id);
              return (
                <tr key={agent.user_id}>
                  <Td>
                    <div className="font-medium">
                      {agent.full_name} {agent.user_id === myId ? <Badge>You</Badge> : null} {agent.is_away ? <Badge tone="warn">Away</Badge> : null}
                    </div>
                    <div className="text-xs text-muted">
                      {agent.email} · {agent.role.charAt(0).toUpperCase() + agent.role.slice(1)}
                    </div>
                  </Td>
                  <Td className="text-muted">{teamNames(agent) || "—"}</Td>
                  <Td align="right">{agent.open_tickets}</Td>
                  <Td align="right">
                    <span title={may ? undefined : "Only a manager marks another agent away"}>
                      <AwaySwitch agent={agent} disabled={!may || mutation.isPending} onChange={(away) => mutation.mutate({ agent, away })} />
                    </span>
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      ) : agents ? (
        <EmptyState icon={<Users />} title="No agents yet">Members with the staff role or above answer tickets; invite some under Members.</EmptyState>
      ) : (
        <div className="p-4">
          <Skeleton className="h-24" />
        </div>
      )}
    </Card>
  );
}
