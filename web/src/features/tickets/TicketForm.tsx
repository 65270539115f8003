import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { Controller, useForm } from "react-hook-form";
import type { Path } from "react-hook-form";
import { z } from "zod";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { SelectField, TextAreaField, TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import type { TicketCreate } from "./api";
import { ArticleSuggestions } from "./ArticleSuggestions";
import { PRIORITY_LABELS } from "./badges";
import { CustomFieldInputs, customFieldValues } from "./CustomFieldInputs";
import type { TicketField } from "./desk";
import { PRIORITIES } from "./filters";
import { ProductPicker } from "./ProductPicker";

const TAG = /^[\w][\w\-.:/]{0,49}$/u;

const schema = z.object({
  subject: z.string().trim().min(1, "Say in a few words what it is about.").max(300, "At most 300 characters."),
  description: z.string().max(50_000, "At most 50,000 characters."),
  requester_email: z.string().trim().email("Enter the requester's e-mail address."),
  requester_name: z.string().trim().max(200, "At most 200 characters."),
  priority: z.enum(["low", "normal", "high", "urgent"]),
  team_id: z.string(),
  tags: z.string().refine((v) => tagsOf(v).every((t) => TAG.test(t)), "Tags are single words (letters, digits, - . : /), separated by commas."),
  product_ids: z.array(z.string()),
  custom: z.record(z.string(), z.string()),
});
export type TicketValues = z.infer<typeof schema>;

export function tagsOf(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

interface Props {
  teams: { id: string; name: string; is_default: boolean }[];
  fields: TicketField[];
  onSubmit: (body: TicketCreate) => Promise<void>;
  onCancel: () => void;
}

/** A new ticket: what, who asks, how urgent, for which team and products; knowledge
 * articles are suggested beside it while the subject and description are typed. */
export function TicketForm({ teams, fields, onSubmit, onCancel }: Props) {
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, control, watch, formState } = useForm<TicketValues>({
    resolver: zodResolver(schema),
    defaultValues: { subject: "", description: "", requester_email: "", requester_name: "", priority: "normal", team_id: "", tags: "", product_ids: [], custom: {} },
  });
  const errors = formState.errors;
  const typed = `${watch("subject")}\n${watch("description")}`.trim();

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    const custom = customFieldValues(fields, values.custom);
    const missing = Object.entries(custom.problems);
    if (missing.length) {
      for (const [key, message] of missing) setError(`custom.${key}` as Path<TicketValues>, { type: "required", message }, { shouldFocus: true });
      return;
    }
    const body: TicketCreate = {
      subject: values.subject,
      description: values.description,
      priority: values.priority,
      team_id: values.team_id || null,
      requester: { email: values.requester_email, name: values.requester_name || null },
      tags: tagsOf(values.tags),
      product_ids: values.product_ids,
      custom_fields: custom.values,
    };
    try {
      await onSubmit(body);
    } catch (error) {
      const names = ["subject", "description", "priority", "team_id", "tags", "product_ids", ...fields.map((f) => `custom.${f.key}`)] as Path<TicketValues>[];
      const rename: Record<string, Path<TicketValues>> = { "requester.email": "requester_email", email: "requester_email", "requester.name": "requester_name" };
      for (const f of fields) rename[`custom_fields.${f.key}`] = `custom.${f.key}` as Path<TicketValues>;
      setFormError(applyServerErrors(error, setError, names, rename));
    }
  });

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <form onSubmit={submit} noValidate className="space-y-5" aria-label="New ticket">
        <TextField label="Subject" autoFocus error={errors.subject?.message} {...register("subject")} />
        <TextAreaField label="Description" rows={7} hint="Markdown: **bold**, lists, `code`, [links](https://…)." error={errors.description?.message} {...register("description")} />
        <fieldset className="grid gap-4 sm:grid-cols-2">
          <legend className="mb-2 text-sm font-semibold">Requester</legend>
          <TextField label="Requester e-mail" type="email" autoComplete="off" error={errors.requester_email?.message} {...register("requester_email")} />
          <TextField label="Requester name" autoComplete="off" hint="Kept from the first time we hear from them." error={errors.requester_name?.message} {...register("requester_name")} />
        </fieldset>
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField label="Priority" error={errors.priority?.message} {...register("priority")}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>{PRIORITY_LABELS[p]}</option>
            ))}
          </SelectField>
          <SelectField label="Team" error={errors.team_id?.message} {...register("team_id")}>
            <option value="">{teams.some((t) => t.is_default) ? "The default team" : "No team"}</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>{t.name}</option>
            ))}
          </SelectField>
        </div>
        <TextField label="Tags" placeholder="warranty, drill" hint="Separated by commas." error={errors.tags?.message} {...register("tags")} />
        <Controller control={control} name="product_ids" render={({ field }) => <ProductPicker value={field.value} onChange={field.onChange} />} />
        <CustomFieldInputs fields={fields} register={register} errors={errors} />
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
        <div className="flex flex-wrap justify-end gap-2">
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="primary" loading={formState.isSubmitting}>
            Create ticket
          </Button>
        </div>
      </form>
      <aside aria-label="Suggestions" className="space-y-4">
        <ArticleSuggestions text={typed} />
      </aside>
    </div>
  );
}
