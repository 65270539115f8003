import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "@/api/problem";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live events keep cached data fresh; a refocus does not need to refetch it.
        staleTime: 30_000,
        gcTime: 10 * 60_000,
        refetchOnWindowFocus: false,
        networkMode: "offlineFirst",
        retry: (count, error) => {
          if (error instanceof ApiError && error.status < 500) return false;
          return count < 2;
        },
      },
      mutations: { networkMode: "always", retry: false },
    },
  });
}
