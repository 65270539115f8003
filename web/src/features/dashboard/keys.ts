export const reportKeys = {
  all: ["reports"] as const,
  stockValue: (groupBy: "warehouse" | "category") => [...reportKeys.all, "stock-value", groupBy] as const,
  movements: (days: number, tz: string) => [...reportKeys.all, "movements", days, tz] as const,
};
