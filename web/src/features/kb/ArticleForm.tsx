import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import type { ReactNode } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { cn } from "@/lib/cn";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { SelectField, TextAreaField, TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { useCollections } from "./api";
import type { Article, ArticleStatus, ArticleUpdate } from "./contract";
import { MarkdownPreview } from "./MarkdownPreview";
import type { StatusAction } from "./status";
import { flattenTree } from "./tree";

const TAG = /^[\p{L}\p{N}_][\p{L}\p{N}_\-.:/]{0,49}$/u;

const schema = z.object({
  title: z.string().trim().min(1, "Give the article a title.").max(300, "At most 300 characters."),
  body: z.string().max(200_000, "At most 200,000 characters."),
  collection_id: z.string(),
  tags: z
    .string()
    .refine((v) => splitTags(v).every((t) => TAG.test(t)), "Tags are single words of up to 50 letters, digits or - . : /")
    .refine((v) => splitTags(v).length <= 30, "At most 30 tags."),
  visibility: z.enum(["internal", "public"]),
  note: z.string().max(500, "At most 500 characters."),
});
export type ArticleValues = z.infer<typeof schema>;
const FIELDS = ["title", "body", "collection_id", "tags", "visibility", "note"] as const;

export function splitTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

export function valuesOf(article?: Article): ArticleValues {
  return {
    title: article?.title ?? "",
    body: article?.body ?? "",
    collection_id: article?.collection_id ?? "",
    tags: article?.tags.join(", ") ?? "",
    visibility: article?.visibility ?? "internal",
    note: "",
  };
}

/** The fields a person changed, shaped for the API (the note always goes along). */
export function changesOf(values: ArticleValues, dirty: Set<string>): ArticleUpdate {
  const body: ArticleUpdate = {};
  if (dirty.has("title")) body.title = values.title;
  if (dirty.has("body")) body.body = values.body;
  if (dirty.has("collection_id")) body.collection_id = values.collection_id || null;
  if (dirty.has("tags")) body.tags = splitTags(values.tags);
  if (dirty.has("visibility")) body.visibility = values.visibility;
  if (values.note.trim()) body.note = values.note.trim();
  return body;
}

interface Props {
  article?: Article;
  submitLabel: string;
  /** Save, optionally moving the article to another status in the same revision. */
  onSubmit: (values: ArticleValues, dirty: Set<string>, status?: ArticleStatus) => Promise<void>;
  onCancel: () => void;
  statusActions?: StatusAction[];
  notice?: ReactNode;
}

/** Title, Markdown with the server's preview beside it, where it lives and who sees it. */
export function ArticleForm({ article, submitLabel, onSubmit, onCancel, statusActions = [], notice }: Props) {
  const { data: collections } = useCollections();
  const [formError, setFormError] = useState<string | null>(null);
  const [pane, setPane] = useState<"write" | "preview">("write");
  const [pending, setPending] = useState<ArticleStatus | "save" | null>(null);
  const { register, handleSubmit, setError, formState, watch } = useForm<ArticleValues>({
    resolver: zodResolver(schema),
    values: valuesOf(article),
    resetOptions: { keepDirtyValues: true },
  });
  const errors = formState.errors;
  const body = watch("body");

  const save = (status?: ArticleStatus) =>
    handleSubmit(async (values) => {
      setFormError(null);
      setPending(status ?? "save");
      try {
        await onSubmit(values, new Set(Object.keys(formState.dirtyFields)), status);
      } catch (error) {
        setFormError(applyServerErrors(error, setError, FIELDS));
      } finally {
        setPending(null);
      }
    });
  const tab = (which: "write" | "preview", label: string) => (
    <button type="button" aria-pressed={pane === which} onClick={() => setPane(which)} className={cn("rounded-md px-3 py-1 text-sm font-medium", pane === which ? "bg-surface text-ink shadow-sm" : "text-muted")}>
      {label}
    </button>
  );

  return (
    <form onSubmit={save()} noValidate className="space-y-5">
      <TextField label="Title" autoFocus={!article} error={errors.title?.message} {...register("title")} />
      <div className="flex w-fit gap-1 rounded-lg bg-raised p-1 lg:hidden" role="group" aria-label="Editor view">
        {tab("write", "Write")}
        {tab("preview", "Preview")}
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <div className={cn(pane === "preview" && "hidden lg:block")}>
          <TextAreaField label="Text (Markdown)" className="min-h-[24rem] font-mono leading-relaxed lg:min-h-[32rem]" hint="# headings, **bold**, - lists, [links](https://…), | tables |" error={errors.body?.message} {...register("body")} />
        </div>
        <section aria-label="Preview" className={cn("min-w-0", pane === "write" && "hidden lg:block")}>
          <p className="mb-1.5 text-sm font-medium">Preview</p>
          <div className="min-h-[24rem] rounded-lg border border-line bg-canvas p-4 lg:max-h-[32rem] lg:min-h-[32rem] lg:overflow-y-auto">
            <MarkdownPreview body={body} />
          </div>
        </section>
      </div>
      <div className="grid gap-4 sm:grid-cols-3">
        {/* Mounted again once the options arrive, so the article's collection is selected. */}
        <SelectField key={collections ? "loaded" : "loading"} label="Collection" error={errors.collection_id?.message} {...register("collection_id")}>
          <option value="">No collection</option>
          {flattenTree(collections ?? []).map(({ collection, depth }) => (
            <option key={collection.id} value={collection.id}>
              {"\u00a0\u00a0".repeat(depth)}
              {collection.name}
            </option>
          ))}
        </SelectField>
        <TextField label="Tags" placeholder="returns, warranty" hint="Separated by commas." error={errors.tags?.message} {...register("tags")} />
        <SelectField label="Who can read it" error={errors.visibility?.message} hint="Public articles appear in the help centre once published." {...register("visibility")}>
          <option value="internal">Internal: the team only</option>
          <option value="public">Public: the help centre too</option>
        </SelectField>
      </div>
      <TextField label="Change note" placeholder="What changed, for the history" error={errors.note?.message} {...register("note")} />
      {notice}
      {formError ? <Notice tone="bad">{formError}</Notice> : null}
      <div className="flex flex-wrap justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        {statusActions.map((action) => (
          <Button key={action.status} onClick={() => void save(action.status)()} loading={pending === action.status} disabled={pending !== null}>
            {action.label}
          </Button>
        ))}
        <Button type="submit" variant="primary" loading={pending === "save"} disabled={pending !== null}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
