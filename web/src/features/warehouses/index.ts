export { findLocationAnywhere, findLocationByCode, loadLocations, loadWarehouses, useLocationIndex, useLocations, useWarehouses, warehouseKeys } from "./api";
export type { LocationInfo } from "./api";
