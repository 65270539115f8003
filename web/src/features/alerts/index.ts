export { AlertList } from "./AlertList";
export { useAlerts } from "./api";
