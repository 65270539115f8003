/** Exact arithmetic on the API's decimal strings (quantities, money): scaled BigInts, so
 * "0.1" + "0.2" is "0.3" and live level updates never drift from the server's figures. */

function parse(value: string): { digits: bigint; scale: number } {
  const text = value.trim();
  const negative = text.startsWith("-");
  const body = negative || text.startsWith("+") ? text.slice(1) : text;
  const [whole = "0", fraction = ""] = body.split(".");
  const digits = BigInt((whole || "0") + fraction) * (negative ? -1n : 1n);
  return { digits, scale: fraction.length };
}

function render(digits: bigint, scale: number): string {
  const negative = digits < 0n;
  let text = (negative ? -digits : digits).toString().padStart(scale + 1, "0");
  if (scale > 0) text = `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function align(a: string, b: string): [bigint, bigint, number] {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  return [x.digits * 10n ** BigInt(scale - x.scale), y.digits * 10n ** BigInt(scale - y.scale), scale];
}

export function addDecimal(a: string, b: string): string {
  const [x, y, scale] = align(a, b);
  return render(x + y, scale);
}

export function subtractDecimal(a: string, b: string): string {
  const [x, y, scale] = align(a, b);
  return render(x - y, scale);
}

export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isDecimal(text: string): boolean {
  return /^[-+]?\d+(\.\d+)?$/.test(text.trim());
}
