import { useQueryClient } from "@tanstack/react-query";
import { ScanBarcode, Send, WifiOff } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { Location } from "@/api/client";
import { useAuth } from "@/auth/context";
import { LocationPicker } from "@/features/stock";
import { isDecimal } from "@/lib/decimal";
import { cn } from "@/lib/cn";
import { Button } from "@/ui/Button";
import { TextField, inputClass } from "@/ui/Field";
import { Card } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { lookupForCount } from "./api";
import { CountQueueList } from "./CountQueueList";
import { addCount, newCountId } from "./queue";
import type { KnownProduct } from "./queue";
import { useCountQueue, useSyncNow, useSyncStatus } from "./useCountQueue";

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return online;
}

interface Scanned {
  code: string;
  product: KnownProduct | null;
}

/** The phone count screen: bin, product, counted quantity, Enter — online or not. Lines wait
 * on this device (with the time they were counted) until the server has them. */
export default function CountPage() {
  const { tenantId } = useAuth();
  const client = useQueryClient();
  const online = useOnline();
  const entries = useCountQueue();
  const { syncing } = useSyncStatus();
  const syncNow = useSyncNow();
  const [location, setLocation] = useState<Location | null>(null);
  const [code, setCode] = useState("");
  const [scanned, setScanned] = useState<Scanned | null>(null);
  const [quantity, setQuantity] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const quantityInput = useRef<HTMLInputElement>(null);
  const waiting = entries.filter((e) => e.state === "pending").length;

  const scan = async () => {
    if (!tenantId || !code.trim()) return;
    setProblem(null);
    const { product, offline } = await lookupForCount(client, tenantId, code);
    if (!product && !offline) {
      setProblem(`No product has the barcode or SKU "${code.trim()}".`);
      return;
    }
    setScanned({ code: code.trim(), product });
    setTimeout(() => quantityInput.current?.focus(), 0);
  };

  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!tenantId || !location || !scanned) return;
    if (!isDecimal(quantity) || Number(quantity) < 0) {
      setProblem("Enter how many you counted (0 or more).");
      return;
    }
    await addCount({
      id: newCountId(),
      tenantId,
      warehouseId: location.warehouse_id,
      locationId: location.id,
      locationCode: location.code,
      code: scanned.code,
      productId: scanned.product?.id ?? null,
      sku: scanned.product?.sku ?? null,
      name: scanned.product?.name ?? null,
      unit: scanned.product?.unit ?? null,
      countedQuantity: quantity.trim(),
      countedAt: new Date().toISOString(),
    });
    setScanned(null);
    setCode("");
    setQuantity("");
    setProblem(null);
    codeInput.current?.focus();
    if (navigator.onLine) void syncNow();
  };

  return (
    <div className="mx-auto max-w-xl space-y-5">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Count stock</h1>
        <p className="mt-1 text-sm text-muted">Scan the bin, then each product and type what you count. Works without network.</p>
      </div>
      {!online ? (
        <Notice tone="warn" title="You are offline">
          Keep counting: lines are saved on this device with the time you counted them and sent once the network is back.
        </Notice>
      ) : null}

      <Card className="space-y-5 p-4 sm:p-5">
        <LocationPicker label="Bin" value={location} onChange={setLocation} autoFocus />
        {location ? (
          <form onSubmit={add} noValidate className="space-y-4">
            {scanned ? (
              <div className="rounded-lg border border-accent/40 bg-accent-soft px-3 py-2" data-testid="count-product">
                <p className="font-medium">{scanned.product?.name ?? scanned.code}</p>
                <p className="text-xs text-muted">
                  {scanned.product ? <span className="font-mono">{scanned.product.sku}</span> : "Not known on this device yet — it will be matched when you are back online."}
                </p>
              </div>
            ) : (
              <label className="block space-y-1.5">
                <span className="text-sm font-medium">Product</span>
                <span className="relative block">
                  <ScanBarcode className="pointer-events-none absolute left-3 top-4 size-6 text-muted" aria-hidden />
                  <input
                    ref={codeInput}
                    autoFocus
                    value={code}
                    onChange={(e) => setCode(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter") {
                        e.preventDefault();
                        void scan();
                      }
                    }}
                    enterKeyHint="next"
                    autoComplete="off"
                    placeholder="Scan barcode or type SKU, Enter"
                    className={cn(inputClass, "h-14 pl-12 font-mono text-lg")}
                  />
                </span>
              </label>
            )}
            {scanned ? (
              <TextField
                ref={quantityInput}
                label={`Counted${scanned.product ? ` (${scanned.product.unit})` : ""}`}
                big
                inputMode="decimal"
                className="num"
                value={quantity}
                onChange={(e) => setQuantity(e.target.value)}
                enterKeyHint="done"
              />
            ) : null}
            {problem ? <Notice tone="bad">{problem}</Notice> : null}
            {scanned ? (
              <div className="flex gap-2">
                <Button onClick={() => setScanned(null)}>Back</Button>
                <Button type="submit" variant="primary" size="lg" className="flex-1">
                  Save count
                </Button>
              </div>
            ) : null}
          </form>
        ) : null}
      </Card>

      <section aria-labelledby="queue-title" className="space-y-2">
        <div className="flex items-center justify-between gap-2">
          <h2 id="queue-title" className="text-base font-semibold">
            On this device
          </h2>
          <div className="flex items-center gap-2 text-sm" data-testid="count-sync-state">
            {waiting ? (
              <>
                <span className="text-warn">{syncing ? "Sending…" : `${waiting} waiting`}</span>
                <Button size="sm" icon={online ? <Send className="size-4" aria-hidden /> : <WifiOff className="size-4" aria-hidden />} disabled={!online || syncing} onClick={() => void syncNow()}>
                  Send now
                </Button>
              </>
            ) : entries.length ? (
              <span className="text-good">All counts sent</span>
            ) : null}
          </div>
        </div>
        <CountQueueList entries={entries} />
      </section>
    </div>
  );
}
