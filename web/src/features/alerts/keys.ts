export type AlertStatusFilter = "open" | "acknowledged" | "resolved";

export const alertKeys = {
  all: ["alerts"] as const,
  lists: () => [...alertKeys.all, "list"] as const,
  list: (status: AlertStatusFilter, productId?: string) => [...alertKeys.lists(), status, productId ?? null] as const,
};
