import { useNavigate } from "react-router";
import { useAuth } from "@/auth/context";
import { useLiveEvent } from "@/live/context";
import { formatQuantity } from "@/lib/format";
import { useToast } from "@/ui/toast-context";
import { useWarehouses } from "@/features/warehouses";
import { ALERT_RAISED } from "./live";
import type { AlertChanged } from "./live";

const TYPES = [ALERT_RAISED];

/** A toast for every low-stock alert raised anywhere in the organisation, as it happens. */
export function AlertToaster() {
  const toast = useToast();
  const navigate = useNavigate();
  const { can } = useAuth();
  const { data: warehouses } = useWarehouses();
  useLiveEvent(TYPES, (event) => {
    if (!can("inventory:read")) return;
    const alert = event.data as AlertChanged;
    const warehouse = warehouses?.find((w) => w.id === alert.warehouse_id);
    toast({
      tone: "warn",
      title: `Low stock: ${alert.sku}`,
      body: `${formatQuantity(alert.available)} available${warehouse ? ` in ${warehouse.code}` : ""}, reorder point ${formatQuantity(alert.reorder_point)}.`,
      action: { label: "View product", onClick: () => navigate(`/products/${alert.product_id}`) },
    });
  });
  return null;
}
