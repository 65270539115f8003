import { useQueryClient } from "@tanstack/react-query";
import { MapPin, Package, ScanBarcode, X } from "lucide-react";
import { useEffect, useId, useState } from "react";
import type { Ref } from "react";
import type { Location, Product, Warehouse } from "@/api/client";
import { describeError } from "@/api/problem";
import { findProductByCode, useProductSuggestions } from "@/features/products";
import { findLocationAnywhere, loadLocations, loadWarehouses, useLocations, useWarehouses } from "@/features/warehouses";
import { cn } from "@/lib/cn";
import { useDebounced } from "@/lib/useDebounced";
import { inputClass } from "@/ui/Field";

function Chosen({ icon, title, detail, onClear, testId }: { icon: React.ReactNode; title: string; detail: string; onClear: () => void; testId?: string }) {
  return (
    <div data-testid={testId} className="flex h-14 items-center gap-3 rounded-lg border border-accent/40 bg-accent-soft px-3">
      <span className="text-accent-strong">{icon}</span>
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium">{title}</p>
        <p className="truncate font-mono text-xs text-muted">{detail}</p>
      </div>
      <button type="button" onClick={onClear} className="rounded p-1.5 text-muted hover:bg-raised hover:text-ink" aria-label={`Change ${title}`}>
        <X className="size-5" aria-hidden />
      </button>
    </div>
  );
}

interface ProductScanProps {
  label: string;
  value: Product | null;
  onChange: (product: Product | null) => void;
  inputRef?: Ref<HTMLInputElement>;
  autoFocus?: boolean;
}

/** Scan (or type) a barcode or SKU and press Enter; typing a name suggests products. */
export function ProductScanField({ label, value, onChange, inputRef, autoFocus }: ProductScanProps) {
  const client = useQueryClient();
  const id = useId();
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const term = useDebounced(text, 250);
  const { data: suggestions } = useProductSuggestions(value ? "" : term);

  const resolve = async () => {
    const code = text.trim();
    if (!code) return;
    setBusy(true);
    setError(null);
    try {
      const product = await findProductByCode(client, code);
      if (product) {
        onChange(product);
        setText("");
      } else if (suggestions?.length === 1 && suggestions[0]) {
        onChange(suggestions[0]);
        setText("");
      } else {
        setError(`No product has the barcode or SKU "${code}". Pick one below or try again.`);
      }
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  if (value) {
    return (
      <div className="space-y-1.5">
        <p className="text-sm font-medium">{label}</p>
        <Chosen testId="chosen-product" icon={<Package className="size-5" aria-hidden />} title={value.name} detail={`${value.sku}${value.barcode ? ` · ${value.barcode}` : ""} · ${value.unit}`} onClear={() => onChange(null)} />
      </div>
    );
  }
  const listId = `${id}-suggestions`;
  const showList = !!suggestions?.length && term.trim().length >= 2;
  return (
    <div className="relative space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <div className="relative">
        <ScanBarcode className="pointer-events-none absolute left-3 top-4 size-6 text-muted" aria-hidden />
        <input
          id={id}
          ref={inputRef}
          autoFocus={autoFocus}
          value={text}
          autoComplete="off"
          enterKeyHint="search"
          placeholder="Scan barcode or type SKU / name"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          aria-controls={showList ? listId : undefined}
          aria-busy={busy || undefined}
          onChange={(event) => {
            setText(event.target.value);
            setError(null);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              void resolve();
            }
          }}
          className={cn(inputClass, "h-14 pl-12 text-lg")}
        />
      </div>
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-sm text-bad">
          {error}
        </p>
      ) : null}
      {showList ? (
        <ul id={listId} aria-label="Matching products" className="divide-y divide-line rounded-lg border border-line bg-surface shadow-sm">
          {suggestions.map((p) => (
            <li key={p.id}>
              <button type="button" onClick={() => { onChange(p); setText(""); }} className="flex w-full items-center gap-3 px-3 py-2.5 text-left text-sm hover:bg-raised">
                <span className="flex-1 truncate font-medium">{p.name}</span>
                <span className="font-mono text-xs text-muted">{p.sku}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const WAREHOUSE_KEY = "qm.stock.warehouse";

export function rememberedWarehouse(warehouses: Warehouse[] | undefined): Warehouse | null {
  if (!warehouses?.length) return null;
  const id = localStorage.getItem(WAREHOUSE_KEY);
  return warehouses.find((w) => w.id === id && w.is_active) ?? warehouses.find((w) => w.is_active) ?? null;
}

interface LocationPickerProps {
  label: string;
  value: Location | null;
  onChange: (location: Location | null) => void;
  error?: string | undefined;
  inputRef?: Ref<HTMLInputElement>;
  autoFocus?: boolean;
  /** Remember the warehouse for next time (the worker's usual one). */
  remember?: boolean;
}

/** A warehouse, then a bin scanned or typed by its code (Enter); empty means its DEFAULT. */
export function LocationPicker({ label, value, onChange, error, inputRef, autoFocus, remember = true }: LocationPickerProps) {
  const client = useQueryClient();
  const id = useId();
  const { data: warehouses } = useWarehouses();
  const [warehouseId, setWarehouseId] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const warehouse = warehouses?.find((w) => w.id === (warehouseId ?? value?.warehouse_id)) ?? rememberedWarehouse(warehouses);
  const { data: locations } = useLocations(warehouse?.id);

  useEffect(() => {
    if (remember && warehouse) localStorage.setItem(WAREHOUSE_KEY, warehouse.id);
  }, [remember, warehouse]);

  const resolve = async () => {
    // A scanner does not wait for the page: a code entered before the warehouses (or their
    // bins) have loaded is resolved against them once fetched, not dropped.
    const all = warehouses ?? (await loadWarehouses(client).catch(() => undefined));
    const home = all?.find((w) => w.id === (warehouseId ?? value?.warehouse_id)) ?? rememberedWarehouse(all);
    if (!home) return;
    setProblem(null);
    if (!code.trim()) {
      const bins = locations ?? (await loadLocations(client, home.id).catch(() => []));
      onChange(bins.find((l) => l.id === home.default_location_id) ?? null);
      return;
    }
    const found = await findLocationAnywhere(client, all ?? [], home.id, code).catch(() => null);
    if (found?.location) {
      setWarehouseId(found.location.warehouse_id);
      onChange(found.location);
      setCode("");
    } else if (found?.elsewhere.length) {
      setProblem(`"${code.trim()}" is in ${found.elsewhere.map((w) => w.code).join(" and ")}: pick the warehouse first.`);
    } else setProblem(`${home.code} has no location "${code.trim()}".`);
  };

  if (value) {
    const home = warehouses?.find((w) => w.id === value.warehouse_id);
    return (
      <div className="space-y-1.5">
        <p className="text-sm font-medium">{label}</p>
        <Chosen testId="chosen-location" icon={<MapPin className="size-5" aria-hidden />} title={`${home?.code ?? ""} · ${value.code}`} detail={`${home?.name ?? ""} — ${value.name}`} onClear={() => onChange(null)} />
        {error ? <p role="alert" className="text-sm text-bad">{error}</p> : null}
      </div>
    );
  }
  const shown = problem ?? error;
  return (
    <fieldset className="space-y-1.5">
      <legend className="text-sm font-medium">{label}</legend>
      <div className="grid grid-cols-[6.5rem_minmax(0,1fr)] gap-2 sm:grid-cols-[9rem_minmax(0,1fr)]">
        <select
          aria-label={`${label}: warehouse`}
          value={warehouse?.id ?? ""}
          onChange={(event) => setWarehouseId(event.target.value)}
          className={cn(inputClass, "h-14 px-2 font-mono text-base")}
        >
          {(warehouses ?? []).filter((w) => w.is_active).map((w) => (
            <option key={w.id} value={w.id}>
              {w.code}
            </option>
          ))}
        </select>
        <input
          id={id}
          ref={inputRef}
          autoFocus={autoFocus}
          aria-label={`${label}: location code`}
          value={code}
          autoComplete="off"
          enterKeyHint="next"
          placeholder="Scan or type bin, Enter"
          aria-invalid={shown ? true : undefined}
          onChange={(event) => {
            setCode(event.target.value);
            setProblem(null);
          }}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              void resolve();
            }
          }}
          onBlur={() => code.trim() && void resolve()}
          className={cn(inputClass, "h-14 font-mono text-lg")}
        />
      </div>
      {shown ? <p role="alert" className="text-sm text-bad">{shown}</p> : <p className="text-sm text-muted">Enter with no code picks the warehouse&apos;s DEFAULT location.</p>}
    </fieldset>
  );
}
