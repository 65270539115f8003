import { useQueryClient } from "@tanstack/react-query";
import { Trash2 } from "lucide-react";
import { useState } from "react";
import type { Schemas } from "@/api/client";
import { describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { CheckboxField, SelectField, TextField } from "@/ui/Field";
import { Badge, Card, CardHeader } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createField, deleteField, useTicketFields } from "../desk";
import { deskKeys } from "../keys";

const TYPES: Record<Schemas["FieldType"], string> = { text: "Text", number: "Number", select: "Choice", date: "Date" };

/** Custom ticket fields (text, number, choice, date): defined here, filled in on tickets. */
export function FieldsSection() {
  const { data: fields } = useTicketFields();
  const [label, setLabel] = useState("");
  const [key, setKey] = useState("");
  const [type, setType] = useState<Schemas["FieldType"]>("text");
  const [options, setOptions] = useState("");
  const [required, setRequired] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const suggestedKey = label.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").replace(/^(\d)/, "f_$1").slice(0, 64);

  const add = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await createField({ key: key || suggestedKey, label: label.trim(), type, required, options: type === "select" ? options.split(",").map((o) => o.trim()).filter(Boolean) : [] });
      void client.invalidateQueries({ queryKey: deskKeys.fields() });
      setLabel("");
      setKey("");
      setOptions("");
      setRequired(false);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardHeader title="Custom fields" description="Extra facts every ticket can carry, e.g. a serial number or order date." />
      {fields?.length ? (
        <ul className="divide-y divide-line text-sm">
          {fields.map((field) => (
            <li key={field.id} className="flex items-center justify-between gap-3 px-4 py-2.5">
              <div className="min-w-0">
                <span className="font-medium">{field.label}</span> <span className="font-mono text-xs text-muted">{field.key}</span>
                <p className="text-xs text-muted">
                  {TYPES[field.type]}
                  {field.options.length ? `: ${field.options.join(", ")}` : ""}
                </p>
              </div>
              <div className="flex items-center gap-2">
                {field.required ? <Badge>Required</Badge> : null}
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Delete ${field.label}`}
                  icon={<Trash2 className="size-4" aria-hidden />}
                  onClick={() =>
                    deleteField(field.id)
                      .then(() => client.invalidateQueries({ queryKey: deskKeys.fields() }))
                      .catch((e: unknown) => toast({ tone: "bad", title: "Not deleted", body: describeError(e) }))
                  }
                />
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={add} className="grid gap-3 border-t border-line p-4 sm:grid-cols-2" aria-label="Add a custom field">
        <TextField label="Label" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="Serial number" />
        <TextField label="Key" value={key} onChange={(e) => setKey(e.target.value)} placeholder={suggestedKey || "serial_number"} hint="For the API; lowercase letters, digits, _." className="font-mono" />
        <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as Schemas["FieldType"])}>
          {Object.entries(TYPES).map(([value, name]) => (
            <option key={value} value={value}>
              {name}
            </option>
          ))}
        </SelectField>
        {type === "select" ? <TextField label="Choices" value={options} onChange={(e) => setOptions(e.target.value)} placeholder="Gold, Silver, Bronze" hint="Separated by commas." /> : <div className="hidden sm:block" />}
        <CheckboxField label="Required" hint="Every new ticket must fill it in." checked={required} onChange={(e) => setRequired(e.target.checked)} />
        <div className="flex items-end justify-end">
          <Button type="submit" variant="primary" loading={busy} disabled={!label.trim()}>
            Add field
          </Button>
        </div>
        {error ? (
          <Notice tone="bad" className="sm:col-span-2">
            {error}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}
