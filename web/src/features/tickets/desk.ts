import { useQuery } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";
import { MAX_PAGE, allPages, api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { deskKeys } from "./keys";

export type Team = Schemas["TeamRead"];
export type Agent = Schemas["AgentRead"];
export type TicketField = Schemas["TicketFieldRead"];
export type SlaPolicy = Schemas["SlaPolicyRead"];

export function useTeams() {
  return useQuery({
    queryKey: deskKeys.teams(),
    queryFn: ({ signal }) =>
      allPages((cursor) => unwrap(api.GET("/api/v1/teams", { params: { query: { limit: MAX_PAGE, cursor } }, signal }))),
    staleTime: 60_000,
  });
}

export function useAgents() {
  return useQuery({
    queryKey: deskKeys.agents(),
    queryFn: ({ signal }) =>
      allPages((cursor) => unwrap(api.GET("/api/v1/agents", { params: { query: { limit: MAX_PAGE, cursor } }, signal }))),
    staleTime: 30_000,
  });
}

/** An agent's new state in the agents list: a PATCH /agents answer, or a live change. */
export function putAgent(client: QueryClient, userId: string, change: Partial<Agent>): void {
  client.setQueryData<Agent[]>(deskKeys.agents(), (old) => old?.map((agent) => (agent.user_id === userId ? { ...agent, ...change } : agent)));
}

export function useTicketFields() {
  return useQuery({
    queryKey: deskKeys.fields(),
    queryFn: ({ signal }) =>
      allPages((cursor) => unwrap(api.GET("/api/v1/ticket-fields", { params: { query: { limit: MAX_PAGE, cursor } }, signal }))),
    staleTime: 5 * 60_000,
  });
}

export function useSlaPolicies() {
  return useQuery({
    queryKey: deskKeys.policies(),
    queryFn: ({ signal }) =>
      allPages((cursor) => unwrap(api.GET("/api/v1/sla-policies", { params: { query: { limit: MAX_PAGE, cursor } }, signal }))),
    staleTime: 60_000,
  });
}

export function useInboundAddress() {
  return useQuery({
    queryKey: deskKeys.inbound(),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/inbound/address", { signal })),
    staleTime: 10 * 60_000,
  });
}

export function setAway(userId: string, isAway: boolean): Promise<Agent> {
  return unwrap(api.PATCH("/api/v1/agents/{user_id}", { params: { path: { user_id: userId } }, body: { is_away: isAway } }));
}

export function createTeam(body: Schemas["TeamCreate"]): Promise<Team> {
  return unwrap(api.POST("/api/v1/teams", { body }));
}

export function updateTeam(team: Team, body: Schemas["TeamUpdate"]): Promise<Team> {
  return unwrap(
    api.PATCH("/api/v1/teams/{team_id}", { params: { path: { team_id: team.id }, header: { "If-Match": `"${team.version}"` } }, body }),
  );
}

export function createPolicy(body: Schemas["SlaPolicyCreate"]): Promise<SlaPolicy> {
  return unwrap(api.POST("/api/v1/sla-policies", { body }));
}

export function updatePolicy(policy: SlaPolicy, body: Schemas["SlaPolicyUpdate"]): Promise<SlaPolicy> {
  return unwrap(
    api.PATCH("/api/v1/sla-policies/{policy_id}", {
      params: { path: { policy_id: policy.id }, header: { "If-Match": `"${policy.version}"` } },
      body,
    }),
  );
}

export function createField(body: Schemas["TicketFieldCreate"]): Promise<TicketField> {
  return unwrap(api.POST("/api/v1/ticket-fields", { body }));
}

export function deleteField(id: string): Promise<void> {
  return unwrap(api.DELETE("/api/v1/ticket-fields/{field_id}", { params: { path: { field_id: id } } })) as Promise<void>;
}

/** Names for ids: "Ana Agent" for an assignee, "Support" for a team. */
export function useDeskNames() {
  const teams = useTeams();
  const agents = useAgents();
  const teamName = (id: string | null | undefined) => (id ? teams.data?.find((t) => t.id === id)?.name ?? "…" : null);
  const agentName = (id: string | null | undefined) => (id ? agents.data?.find((a) => a.user_id === id)?.full_name ?? "…" : null);
  return { teams: teams.data ?? [], agents: agents.data ?? [], teamName, agentName };
}
