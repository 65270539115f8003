export { MovementList } from "./MovementList";
export { StockCard } from "./StockCard";
export { ReservationList } from "./ReservationList";
export { useMovements, useProductStock, useReservations } from "./api";
export { stockKeys } from "./keys";
export { LocationPicker, ProductScanField } from "./ScanFields";
