import type { FieldErrors, UseFormRegister } from "react-hook-form";
import { SelectField, TextField } from "@/ui/Field";
import type { TicketField } from "./desk";

/** What the form holds for custom fields: text, per key. */
export type CustomValues = Record<string, string>;

interface FormWithCustom {
  custom: CustomValues;
}

/** The tenant's custom fields as inputs (text, number, select, date). */
export function CustomFieldInputs<T extends FormWithCustom>({
  fields,
  register,
  errors,
}: {
  fields: TicketField[];
  register: UseFormRegister<T>;
  errors: FieldErrors<T>;
}) {
  if (!fields.length) return null;
  const reg = register as unknown as UseFormRegister<FormWithCustom>;
  const errs = (errors as FieldErrors<FormWithCustom>).custom as Record<string, { message?: string }> | undefined;
  return (
    <fieldset className="grid gap-4 sm:grid-cols-2">
      <legend className="mb-2 text-sm font-semibold">Details</legend>
      {fields.map((field) => {
        const label = field.required ? `${field.label} (required)` : field.label;
        const error = errs?.[field.key]?.message;
        const name = `custom.${field.key}` as const;
        if (field.type === "select") {
          return (
            <SelectField key={field.id} label={label} error={error} {...reg(name)}>
              <option value="">—</option>
              {field.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </SelectField>
          );
        }
        return (
          <TextField
            key={field.id}
            label={label}
            error={error}
            type={field.type === "date" ? "date" : "text"}
            inputMode={field.type === "number" ? "decimal" : undefined}
            {...reg(name)}
          />
        );
      })}
    </fieldset>
  );
}

/** Form text → the API's values (numbers as numbers); blanks are left out, or sent as null
 * (removal) when `clearBlanks`. Returns the problems it found, per key. */
export function customFieldValues(
  fields: TicketField[],
  raw: CustomValues,
  clearBlanks = false,
): { values: Record<string, unknown>; problems: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const text = (raw[field.key] ?? "").trim();
    if (!text) {
      if (field.required) problems[field.key] = `${field.label} is required.`;
      else if (clearBlanks) values[field.key] = null;
      continue;
    }
    if (field.type === "number") {
      const number = Number(text.replace(",", "."));
      if (!Number.isFinite(number)) problems[field.key] = "Enter a number.";
      else values[field.key] = number;
    } else values[field.key] = text;
  }
  return { values, problems };
}

export function customFieldText(fields: TicketField[], stored: Record<string, unknown>): CustomValues {
  return Object.fromEntries(fields.map((f) => [f.key, stored[f.key] === undefined || stored[f.key] === null ? "" : String(stored[f.key])]));
}
