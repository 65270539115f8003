/**
 * Live events → the caches. One function per event type, each next to its feature's query
 * keys (features/<feature>/live.ts); this table only routes.
 */
import type { QueryClient } from "@tanstack/react-query";
import type { Permission, Product } from "@/api/client";
import { alertChanged, resyncAlerts } from "@/features/alerts/live";
import { reportsChanged } from "@/features/dashboard/live";
import { jobChanged, resyncJobs } from "@/features/jobs/live";
import { articleChanged, articleDeleted, collectionChanged, resyncKnowledge } from "@/features/kb/live";
import type { ArticleChanged } from "@/features/kb/live";
import type { JobChanged } from "@/features/jobs/live";
import { applyProduct, priceChanged, productsImported, removeProduct, resyncCatalog } from "@/features/products/live";
import { reservationChanged, resyncStock, stockMoved } from "@/features/stock/live";
import {
  agentChanged,
  resyncTickets,
  ticketAttached,
  ticketBreached,
  ticketChanged,
  ticketCommented,
  ticketCreated,
  ticketLinkChanged,
  ticketRated,
  ticketTouched,
} from "@/features/tickets/live";
import type { AgentChanged, TicketChanged, TicketLinkChanged, TicketTouched } from "@/features/tickets/live";
import type { NewLevel } from "@/features/stock/live";
import type { LiveEvent } from "@/live/connection";

type Handler = (client: QueryClient, data: never) => void;

const HANDLERS: Record<string, Handler> = {
  "inventory.stock.moved": (client, data: { levels: NewLevel[] }) => {
    stockMoved(client, data.levels);
    reportsChanged(client);
  },
  "inventory.reservation.created": (client, data: { level: NewLevel }) => reservationChanged(client, data.level),
  "inventory.reservation.fulfilled": (client, data: { level: NewLevel }) => {
    reservationChanged(client, data.level);
    reportsChanged(client);
  },
  "inventory.reservation.released": (client, data: { level: NewLevel }) => reservationChanged(client, data.level),
  "inventory.alert.raised": (client) => alertChanged(client),
  "inventory.alert.resolved": (client) => alertChanged(client),
  "catalog.product.created": (client, data: Product) => applyProduct(client, data, true),
  "catalog.product.updated": (client, data: Product) => applyProduct(client, data),
  "catalog.product.archived": (client, data: Product) => applyProduct(client, data),
  "catalog.product.deleted": (client, data: { id: string }) => removeProduct(client, data.id),
  "catalog.product.imported": (client) => productsImported(client),
  "catalog.price.changed": (client, data: { product_id: string }) => priceChanged(client, data.product_id),
  "servicedesk.ticket.created": (client) => ticketCreated(client),
  "servicedesk.ticket.updated": (client, data: TicketChanged) => ticketChanged(client, data),
  "servicedesk.ticket.status_changed": (client, data: TicketChanged) => ticketChanged(client, data),
  "servicedesk.ticket.assigned": (client, data: TicketChanged) => ticketChanged(client, data),
  "servicedesk.ticket.merged": (client, data: TicketChanged) => ticketChanged(client, data),
  "servicedesk.ticket.commented": (client, data: TicketTouched) => ticketCommented(client, data),
  "servicedesk.ticket.attached": (client, data: TicketTouched) => ticketAttached(client, data),
  "servicedesk.ticket.linked": (client, data: TicketLinkChanged) => ticketLinkChanged(client, data),
  "servicedesk.ticket.unlinked": (client, data: TicketLinkChanged) => ticketLinkChanged(client, data),
  "servicedesk.ticket.reserved": (client, data: TicketTouched) => ticketTouched(client, data),
  "servicedesk.ticket.sla_breached": (client, data: TicketTouched) => ticketBreached(client, data),
  "servicedesk.ticket.rated": (client, data: TicketTouched) => ticketRated(client, data),
  "servicedesk.agent.updated": (client, data: AgentChanged) => agentChanged(client, data),
  "knowledge.article.created": (client, data: ArticleChanged) => articleChanged(client, data),
  "knowledge.article.updated": (client, data: ArticleChanged) => articleChanged(client, data),
  "knowledge.article.published": (client, data: ArticleChanged) => articleChanged(client, data),
  "knowledge.article.archived": (client, data: ArticleChanged) => articleChanged(client, data),
  "knowledge.article.deleted": (client, data: { id: string }) => articleDeleted(client, data.id),
  "knowledge.collection.created": (client) => collectionChanged(client),
  "knowledge.collection.updated": (client) => collectionChanged(client),
  "knowledge.collection.deleted": (client) => collectionChanged(client),
};

export function applyLiveEvent(client: QueryClient, event: LiveEvent): void {
  if (event.type.startsWith("jobs.job.")) {
    jobChanged(client, event.data as JobChanged);
    return;
  }
  HANDLERS[event.type]?.(client, event.data as never);
}

const RESYNC: Record<string, (client: QueryClient) => void> = {
  "inventory:updates": (client) => {
    resyncStock(client);
    reportsChanged(client);
  },
  "stock:alerts": resyncAlerts,
  "catalog:updates": resyncCatalog,
  "price:updates": resyncCatalog,
  "jobs:updates": resyncJobs,
  "tickets:updates": resyncTickets,
  "knowledge:updates": resyncKnowledge,
};

/** The server could not replay what this tab missed: refetch that channel's data. */
export function resyncChannel(client: QueryClient, channel: string): void {
  RESYNC[channel]?.(client);
}

const CHANNELS: [string, Permission][] = [
  ["inventory:updates", "inventory:read"],
  ["stock:alerts", "inventory:read"],
  ["catalog:updates", "catalog:read"],
  ["price:updates", "catalog:read"],
  ["jobs:updates", "tenant:read"],
  ["tickets:updates", "tickets:read"],
  ["knowledge:updates", "knowledge:read"],
];

export function channelsFor(can: (permission: Permission) => boolean): string[] {
  return CHANNELS.filter(([, permission]) => can(permission)).map(([channel]) => channel);
}
