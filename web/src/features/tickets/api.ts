import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { MAX_PAGE, allPages, api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { ApiError, problemFrom } from "@/api/problem";
import { authFetch } from "@/auth/session";
import { queryOf } from "./filters";
import type { TicketFilters, TicketStatus } from "./filters";
import { ticketKeys } from "./keys";

export type Ticket = Schemas["TicketRead"];
export type TicketDetail = Schemas["TicketDetail"];
export type Comment = Schemas["CommentRead"];
export type Attachment = Schemas["AttachmentRead"];
export type TicketCreate = Schemas["TicketCreate"];
export type TicketUpdate = Schemas["TicketUpdate"];
export type TicketPage = Schemas["Page_TicketRead_"];

export const PAGE_SIZE = 50;

export function useTicketPages(filters: TicketFilters) {
  return useInfiniteQuery({
    queryKey: ticketKeys.list(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/tickets", {
          params: { query: { ...queryOf(filters), limit: PAGE_SIZE, cursor: pageParam ?? undefined } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
}

export function useTicket(id: string) {
  return useQuery({
    queryKey: ticketKeys.detail(id),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/tickets/{ticket_id}", { params: { path: { ticket_id: id } }, signal })),
    enabled: !!id,
  });
}

export function useComments(id: string) {
  return useQuery({
    queryKey: ticketKeys.comments(id),
    // The whole conversation, oldest first: every page, until next_cursor is null.
    queryFn: ({ signal }) =>
      allPages((cursor) =>
        unwrap(
          api.GET("/api/v1/tickets/{ticket_id}/comments", {
            params: { path: { ticket_id: id }, query: { limit: MAX_PAGE, cursor } },
            signal,
          }),
        ),
      ),
  });
}

export function useAttachments(id: string) {
  return useQuery({
    queryKey: ticketKeys.attachments(id),
    queryFn: ({ signal }) =>
      allPages((cursor) =>
        unwrap(
          api.GET("/api/v1/tickets/{ticket_id}/attachments", {
            params: { path: { ticket_id: id }, query: { limit: MAX_PAGE, cursor } },
            signal,
          }),
        ),
      ),
  });
}

export function useTicketCsat(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ticketKeys.csat(id),
    enabled,
    queryFn: ({ signal }) =>
      allPages((cursor) =>
        unwrap(
          api.GET("/api/v1/tickets/{ticket_id}/csat", {
            params: { path: { ticket_id: id }, query: { limit: MAX_PAGE, cursor } },
            signal,
          }),
        ),
      ),
  });
}

/** With an Idempotency-Key, a retry after a lost answer opens the ticket once. */
export function createTicket(body: TicketCreate, idempotencyKey?: string): Promise<TicketDetail> {
  return unwrap(api.POST("/api/v1/tickets", { params: { header: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} }, body }));
}

/** PATCH with If-Match: a 412 means someone else changed the ticket meanwhile. */
export function updateTicket(ticket: Pick<Ticket, "id" | "version">, body: TicketUpdate): Promise<TicketDetail> {
  return unwrap(
    api.PATCH("/api/v1/tickets/{ticket_id}", {
      params: { path: { ticket_id: ticket.id }, header: { "If-Match": `"${ticket.version}"` } },
      body,
    }),
  );
}

export function transitionTicket(id: string, to: TicketStatus, comment?: string): Promise<TicketDetail> {
  return unwrap(
    api.POST("/api/v1/tickets/{ticket_id}/transitions", { params: { path: { ticket_id: id } }, body: { to, comment: comment || null } }),
  );
}

export function addComment(id: string, body: string, internal: boolean): Promise<Comment> {
  return unwrap(api.POST("/api/v1/tickets/{ticket_id}/comments", { params: { path: { ticket_id: id } }, body: { body, internal } }));
}

export function uploadAttachment(id: string, file: File, internal: boolean, commentId?: string): Promise<Attachment> {
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("internal", internal ? "true" : "false");
  if (commentId) form.append("comment_id", commentId);
  return unwrap(
    api.POST("/api/v1/tickets/{ticket_id}/attachments", {
      params: { path: { ticket_id: id } },
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
}

/** Download a file with the session's token (a plain link could not send it). */
export async function downloadAttachment(attachment: Attachment): Promise<void> {
  const response = await authFetch(new Request(`/api/v1/tickets/${attachment.ticket_id}/attachments/${attachment.id}`));
  if (!response.ok) throw new ApiError(problemFrom(await response.json().catch(() => null), response), response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = attachment.file_name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function mergeTicket(id: string, into: string): Promise<TicketDetail> {
  return unwrap(api.POST("/api/v1/tickets/{ticket_id}/merge", { params: { path: { ticket_id: id } }, body: { into } }));
}

export function addLink(id: string, otherId: string, kind: Schemas["LinkKind"]): Promise<TicketDetail> {
  return unwrap(api.POST("/api/v1/tickets/{ticket_id}/links", { params: { path: { ticket_id: id } }, body: { other_ticket_id: otherId, kind } }));
}

export function removeLink(id: string, linkId: string): Promise<void> {
  return unwrap(api.DELETE("/api/v1/tickets/{ticket_id}/links/{link_id}", { params: { path: { ticket_id: id, link_id: linkId } } })) as Promise<void>;
}

/** Retry-safe with `idempotencyKey`: the same key and body reserve once. */
export function reserveStock(id: string, body: Schemas["ReserveIn"], idempotencyKey?: string): Promise<TicketDetail> {
  return unwrap(
    api.POST("/api/v1/tickets/{ticket_id}/reserve", { params: { path: { ticket_id: id }, header: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} }, body }),
  );
}

/** A ticket found by its key or number ("QM-1042", "1042"), for merge and link pickers. */
export async function findTicket(text: string): Promise<Ticket[]> {
  const page = await unwrap(api.GET("/api/v1/tickets", { params: { query: { q: text.trim(), limit: 8 } } }));
  return page.items;
}
