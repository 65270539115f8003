export { OfflineQueueBadge } from "./OfflineQueueBadge";
export { CountSyncAgent } from "./useCountQueue";
