import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Coffee } from "lucide-react";
import { useAuth } from "@/auth/context";
import { describeError } from "@/api/problem";
import { cn } from "@/lib/cn";
import { useToast } from "@/ui/toast-context";
import { putAgent, setAway, useAgents } from "./desk";
import { deskKeys } from "./keys";

/** An agent marks themselves away: assignment skips them until they are back. */
export function AwayToggle() {
  const { me } = useAuth();
  const { data: agents } = useAgents();
  const client = useQueryClient();
  const toast = useToast();
  const userId = me?.user?.id;
  const agent = agents?.find((a) => a.user_id === userId);
  const mutation = useMutation({
    mutationFn: (away: boolean) => setAway(userId as string, away),
    onSuccess: (saved) => {
      putAgent(client, saved.user_id, saved);
      void client.invalidateQueries({ queryKey: deskKeys.teams() });
      toast({ tone: "info", title: saved.is_away ? "You are away: no new tickets are assigned to you" : "Welcome back: tickets are assigned to you again" });
    },
    onError: (error) => toast({ tone: "bad", title: "Could not change your status", body: describeError(error) }),
  });
  if (!agent) return null;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={agent.is_away}
      disabled={mutation.isPending}
      onClick={() => mutation.mutate(!agent.is_away)}
      title="Away: assignment skips you"
      className={cn(
        "inline-flex h-10 items-center gap-2 rounded-lg border px-3 text-sm font-medium",
        agent.is_away ? "border-warn/40 bg-warn-soft text-warn" : "border-line bg-surface text-ink hover:bg-raised",
      )}
    >
      <Coffee className="size-4" aria-hidden />
      Away
      <span aria-hidden className={cn("relative h-5 w-9 rounded-full transition-colors", agent.is_away ? "bg-warn" : "bg-line")}>
        <span className={cn("absolute top-0.5 size-4 rounded-full bg-surface shadow transition-all", agent.is_away ? "left-[1.125rem]" : "left-0.5")} />
      </span>
    </button>
  );
}
