import { PageHeader } from "@/ui/layout";
import { AgentsSection } from "./AgentsSection";

/** The agents and their away state, for managers (who may not open desk settings). */
export default function DeskAgentsPage() {
  return (
    <>
      <PageHeader title="Agents" description="Mark agents away for a holiday or sick leave: assignment skips them until they are back." />
      <AgentsSection />
    </>
  );
}
