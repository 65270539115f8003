import { Lock, MessageSquare, Paperclip, Send, X } from "lucide-react";
import { useId, useRef, useState } from "react";
import { describeError } from "@/api/problem";
import { cn } from "@/lib/cn";
import { Button } from "@/ui/Button";
import { inputClass } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import type { Comment } from "./api";

export interface ComposerSend {
  body: string;
  internal: boolean;
  files: File[];
}

interface Props {
  /** Sends the comment (and its files); a refusal keeps what was typed. */
  onSend: (message: ComposerSend) => Promise<Comment | void>;
  requester: string;
  disabled?: boolean;
}

/** Reply to the requester (e-mailed to them) or write an internal note (agents only).
 * Ctrl/Cmd-Enter sends. */
export function Composer({ onSend, requester, disabled = false }: Props) {
  const id = useId();
  const [internal, setInternal] = useState(false);
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);

  const send = async () => {
    if (!body.trim() || busy) return;
    setBusy(true);
    setError(null);
    const sent = { body, internal, files };
    try {
      await onSend(sent);
      // What was typed while it was being sent stays (only the sent text is cleared).
      setBody((current) => (current === sent.body ? "" : current));
      setFiles((current) => current.filter((file) => !sent.files.includes(file)));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const tab = (value: boolean, label: string, Icon: typeof Lock) => (
    <button
      type="button"
      role="radio"
      aria-checked={internal === value}
      onClick={() => setInternal(value)}
      className={cn(
        "inline-flex items-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium",
        internal === value ? (value ? "bg-warn-soft text-warn" : "bg-accent-soft text-accent-strong") : "text-muted hover:text-ink",
      )}
    >
      <Icon className="size-4" aria-hidden />
      {label}
    </button>
  );

  return (
    <form
      aria-label="Reply or note"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
      className={cn("rounded-xl border p-3", internal ? "border-warn/40 bg-warn-soft/50" : "border-line bg-surface")}
    >
      <div role="radiogroup" aria-label="Kind of message" className="mb-2 flex gap-1">
        {tab(false, "Reply", MessageSquare)}
        {tab(true, "Internal note", Lock)}
      </div>
      <label htmlFor={id} className="sr-only">
        {internal ? "Internal note" : "Reply"}
      </label>
      <textarea
        id={id}
        value={body}
        disabled={disabled}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send();
          }
        }}
        rows={4}
        placeholder={internal ? "Only agents see this note." : `Write to ${requester} (Markdown; sent by e-mail).`}
        className={cn(inputClass, "min-h-24 py-2 text-sm")}
      />
      {files.length ? (
        <ul className="mt-2 flex flex-wrap gap-2" aria-label="Files to send">
          {files.map((file, index) => (
            <li key={`${file.name}-${index}`} className="inline-flex items-center gap-1 rounded-lg border border-line bg-raised px-2 py-1 text-xs">
              {file.name}
              <button type="button" aria-label={`Remove ${file.name}`} onClick={() => setFiles(files.filter((_, i) => i !== index))} className="text-muted hover:text-ink">
                <X className="size-3.5" aria-hidden />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <Notice tone="bad" className="mt-2">
          {error}
        </Notice>
      ) : null}
      <div className="mt-2 flex flex-wrap items-center justify-between gap-2">
        <div>
          <input
            ref={picker}
            type="file"
            multiple
            className="sr-only"
            tabIndex={-1}
            aria-label="Attach files"
            onChange={(e) => {
              setFiles([...files, ...Array.from(e.target.files ?? [])]);
              e.target.value = "";
            }}
          />
          <Button size="sm" variant="ghost" icon={<Paperclip className="size-4" aria-hidden />} onClick={() => picker.current?.click()} disabled={disabled}>
            Attach
          </Button>
        </div>
        <div className="flex items-center gap-2">
          <span className="hidden text-xs text-muted sm:inline">Ctrl+Enter sends</span>
          <Button type="submit" variant="primary" size="sm" loading={busy} disabled={disabled || !body.trim()} icon={internal ? <Lock className="size-4" aria-hidden /> : <Send className="size-4" aria-hidden />}>
            {internal ? "Add note" : "Send reply"}
          </Button>
        </div>
      </div>
    </form>
  );
}
