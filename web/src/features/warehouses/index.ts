export { findLocationAnywhere, findLocationByCode, useLocationIndex, useLocations, useWarehouses, warehouseKeys } from "./api";
export type { LocationInfo } from "./api";
