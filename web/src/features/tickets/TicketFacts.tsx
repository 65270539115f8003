import { UserRoundCheck } from "lucide-react";
import { useState } from "react";
import { useAuth } from "@/auth/context";
import { Button } from "@/ui/Button";
import { SelectField, TextField } from "@/ui/Field";
import { Card, CardHeader } from "@/ui/layout";
import type { TicketDetail } from "./api";
import { PRIORITY_LABELS } from "./badges";
import { customFieldText, customFieldValues } from "./CustomFieldInputs";
import { useDeskNames, useTicketFields } from "./desk";
import { PRIORITIES } from "./filters";
import type { Priority } from "./filters";
import { tagsOf } from "./TicketForm";
import type { useTicketEdit } from "./useTicketEdit";

type Edit = ReturnType<typeof useTicketEdit>;

/** Who works on it, how urgent, tags and custom fields; each change is saved at once. */
export function TicketFacts({ ticket, edit, canWrite }: { ticket: TicketDetail; edit: Edit; canWrite: boolean }) {
  const { me } = useAuth();
  const { teams, agents, agentName } = useDeskNames();
  const { data: fields } = useTicketFields();
  const locked = !canWrite || ticket.status === "closed";
  const [tags, setTags] = useState(ticket.tags.join(", "));
  const [tagsBase, setTagsBase] = useState(ticket.tags.join(","));
  // Tags changed elsewhere (live) replace the field unless it holds unsaved edits.
  if (tagsBase !== ticket.tags.join(",")) {
    const typed = tagsOf(tags).join(",");
    setTagsBase(ticket.tags.join(","));
    if (typed === tagsBase || typed === ticket.tags.join(",")) setTags(ticket.tags.join(", "));
  }
  const myId = me?.user?.id;
  const team = teams.find((t) => t.id === ticket.team_id);
  // Agents of the ticket's team first (all agents when it has none).
  const choices = team ? agents.filter((a) => a.team_ids.includes(team.id) || a.user_id === ticket.assignee_id) : agents;

  const saveTags = () => {
    const next = tagsOf(tags);
    if (next.join(",") !== ticket.tags.join(",")) void edit.save({ tags: next });
  };

  return (
    <Card>
      <CardHeader title="Details" />
      <div className="space-y-4 p-4">
        <div className="space-y-2">
          <SelectField
            label="Assignee"
            value={ticket.assignee_id ?? ""}
            disabled={locked || edit.saving}
            onChange={(e) => void edit.save({ assignee_id: e.target.value || null }, e.target.value ? `Assigned to ${agentName(e.target.value)}` : "Unassigned")}
          >
            <option value="">Unassigned</option>
            {choices.map((a) => (
              <option key={a.user_id} value={a.user_id}>
                {a.full_name}
                {a.is_away ? " (away)" : ""}
              </option>
            ))}
          </SelectField>
          {!locked && myId && ticket.assignee_id !== myId && agents.some((a) => a.user_id === myId) ? (
            <Button size="sm" icon={<UserRoundCheck className="size-4" aria-hidden />} onClick={() => void edit.save({ assignee_id: myId }, "Assigned to you")}>
              Assign to me
            </Button>
          ) : null}
        </div>
        <SelectField label="Team" value={ticket.team_id ?? ""} disabled={locked || edit.saving} onChange={(e) => void edit.save({ team_id: e.target.value || null })}>
          <option value="">No team</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Priority" value={ticket.priority} disabled={locked || edit.saving} onChange={(e) => void edit.save({ priority: e.target.value as Priority })}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABELS[p]}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Tags"
          value={tags}
          disabled={locked}
          hint="Separated by commas; saved when you leave the field."
          onChange={(e) => setTags(e.target.value)}
          onBlur={saveTags}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              saveTags();
            }
          }}
        />
        {fields?.length ? <CustomFields ticket={ticket} edit={edit} fields={fields} locked={locked} /> : null}
      </div>
    </Card>
  );
}

function CustomFields({ ticket, edit, fields, locked }: { ticket: TicketDetail; edit: Edit; fields: NonNullable<ReturnType<typeof useTicketFields>["data"]>; locked: boolean }) {
  const stored = customFieldText(fields, ticket.custom_fields);
  const [values, setValues] = useState(stored);
  const [base, setBase] = useState(stored);
  const [problems, setProblems] = useState<Record<string, string>>({});
  // Values changed elsewhere (live) replace the fields this screen has not edited; a field
  // with unsaved edits keeps what was typed.
  if (fields.some((f) => (base[f.key] ?? "") !== (stored[f.key] ?? ""))) {
    setBase(stored);
    setValues(Object.fromEntries(fields.map((f) => [f.key, (values[f.key] ?? "") === (base[f.key] ?? "") ? (stored[f.key] ?? "") : (values[f.key] ?? "")])));
  }
  const dirty = fields.some((f) => (values[f.key] ?? "") !== (stored[f.key] ?? ""));

  const save = async () => {
    const parsed = customFieldValues(fields, values, true);
    setProblems(parsed.problems);
    if (Object.keys(parsed.problems).length) return;
    await edit.save({ custom_fields: parsed.values }, "Details saved");
  };

  return (
    <fieldset className="space-y-3 border-t border-line pt-3">
      <legend className="sr-only">Custom fields</legend>
      {fields.map((field) =>
        field.type === "select" ? (
          <SelectField key={field.id} label={field.label} value={values[field.key] ?? ""} disabled={locked} error={problems[field.key]} onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}>
            <option value="">—</option>
            {field.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </SelectField>
        ) : (
          <TextField
            key={field.id}
            label={field.label}
            type={field.type === "date" ? "date" : "text"}
            inputMode={field.type === "number" ? "decimal" : undefined}
            value={values[field.key] ?? ""}
            disabled={locked}
            error={problems[field.key]}
            onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}
          />
        ),
      )}
      {dirty && !locked ? (
        <div className="flex justify-end gap-2">
          <Button size="sm" onClick={() => setValues(stored)}>
            Undo
          </Button>
          <Button size="sm" variant="primary" loading={edit.saving} onClick={() => void save()}>
            Save details
          </Button>
        </div>
      ) : null}
    </fieldset>
  );
}
