import { useQueryClient } from "@tanstack/react-query";
import { Download, Lock, Paperclip, Upload } from "lucide-react";
import { useRef, useState } from "react";
import { describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { Card, CardHeader } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { downloadAttachment, uploadAttachment, useAttachments } from "./api";
import type { Attachment } from "./api";
import { ticketKeys } from "./keys";

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A file of the ticket: a click downloads it (with the session's token). */
export function FileButton({ file }: { file: Attachment }) {
  const toast = useToast();
  return (
    <button
      type="button"
      onClick={() => downloadAttachment(file).catch((error: unknown) => toast({ tone: "bad", title: "Download failed", body: describeError(error) }))}
      className="inline-flex max-w-full items-center gap-1.5 rounded-lg border border-line bg-surface px-2 py-1 text-xs hover:bg-raised"
      title={`Download ${file.file_name}`}
    >
      <Download className="size-3.5 shrink-0 text-muted" aria-hidden />
      <span className="truncate">{file.file_name}</span>
      <span className="shrink-0 text-muted">{size(file.size)}</span>
      {file.internal ? <Lock className="size-3 shrink-0 text-warn" aria-label="internal" /> : null}
    </button>
  );
}

/** Every file of the ticket, and an upload (agents' files are internal unless sent with a reply). */
export function AttachmentsCard({ ticketId, canWrite, closed }: { ticketId: string; canWrite: boolean; closed: boolean }) {
  const { data: files } = useAttachments(ticketId);
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const toast = useToast();

  const upload = async (list: FileList | null) => {
    if (!list?.length) return;
    setBusy(true);
    try {
      for (const file of Array.from(list)) await uploadAttachment(ticketId, file, true);
      void client.invalidateQueries({ queryKey: ticketKeys.attachments(ticketId) });
    } catch (error) {
      toast({ tone: "bad", title: "Upload refused", body: describeError(error) });
    } finally {
      setBusy(false);
      if (input.current) input.current.value = "";
    }
  };

  return (
    <Card>
      <CardHeader
        title="Files"
        actions={
          canWrite && !closed ? (
            <>
              <input ref={input} type="file" multiple className="sr-only" aria-label="Upload files" onChange={(e) => void upload(e.target.files)} tabIndex={-1} />
              <Button size="sm" loading={busy} icon={<Upload className="size-4" aria-hidden />} onClick={() => input.current?.click()}>
                Upload
              </Button>
            </>
          ) : null
        }
      />
      {files?.length ? (
        <ul className="space-y-1.5 p-3">
          {files.map((file) => (
            <li key={file.id}>
              <FileButton file={file} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="flex items-center gap-2 px-4 py-3 text-sm text-muted">
          <Paperclip className="size-4" aria-hidden /> No files.
        </p>
      )}
    </Card>
  );
}
