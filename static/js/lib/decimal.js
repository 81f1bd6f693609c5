// Decimal strings: prices and quantities stay exact text from the server. Arithmetic on them
// (grouping, sums, spread, percentages) uses BigInt scaled integers, never floats.

// Decimals actually used by a decimal string ("1.2300" -> 2).
export function decimalsOf(s) {
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.slice(i + 1).replace(/0+$/, "").length;
}

// "12.34" at dp=4 -> 123400n. Digits beyond dp are cut (callers pick dp >= decimalsOf).
export function toUnits(s, dp) {
  s = String(s).trim();
  const neg = s.startsWith("-");
  if (neg || s.startsWith("+")) s = s.slice(1);
  const [int, frac = ""] = s.split(".");
  const u = BigInt((int || "0") + (frac + "0".repeat(dp)).slice(0, dp));
  return neg ? -u : u;
}

export function fromUnits(u, dp) {
  const neg = u < 0n;
  const digits = (neg ? -u : u).toString().padStart(dp + 1, "0");
  const out = dp ? digits.slice(0, -dp) + "." + digits.slice(-dp) : digits;
  return neg ? "-" + out : out;
}

const scale = (...xs) => Math.max(...xs.map(decimalsOf));

export function add(a, b) {
  const dp = scale(a, b);
  return fromUnits(toUnits(a, dp) + toUnits(b, dp), dp);
}

export function sub(a, b) {
  const dp = scale(a, b);
  return fromUnits(toUnits(a, dp) - toUnits(b, dp), dp);
}

export function cmp(a, b) {
  const dp = scale(a, b);
  const x = toUnits(a, dp), y = toUnits(b, dp);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const max = (a, b) => (cmp(a, b) >= 0 ? a : b);
export const min = (a, b) => (cmp(a, b) <= 0 ? a : b);

// a * b exactly: the product carries the digits of both.
export function mul(a, b) {
  const da = decimalsOf(a), db = decimalsOf(b);
  return fromUnits(toUnits(a, da) * toUnits(b, db), da + db);
}

// Integer division rounded half away from zero.
export function divRound(n, d) {
  const neg = (n < 0n) !== (d < 0n);
  if (n < 0n) n = -n;
  if (d < 0n) d = -d;
  const q = (2n * n + d) / (2n * d);
  return neg ? -q : q;
}

// Round a decimal string to dp decimals, half away from zero.
export function round(s, dp) {
  const have = Math.max(decimalsOf(s), dp);
  return fromUnits(divRound(toUnits(s, have), 10n ** BigInt(have - dp)), dp);
}

// Pad or trim the exchange's text to dp decimals. Prices and quantities are multiples of the
// tick/step, so only zeros are cut; anything else must go through round().
export function fix(s, dp) {
  if (s === undefined || s === null) return "—";
  if (dp === undefined || dp === null) return s;
  const [int, frac = ""] = String(s).split(".");
  return dp === 0 ? int : int + "." + (frac + "0".repeat(dp)).slice(0, dp);
}

// 100 * (a / b) as a string with dp decimals (a, b decimal strings; b nonzero).
export function percentOf(a, b, dp) {
  const s = scale(a, b);
  const den = toUnits(b, s);
  if (den === 0n) return null;
  return fromUnits(divRound(toUnits(a, s) * 100n * 10n ** BigInt(dp), den), dp);
}

// Thousands separators in the integer part, for volumes.
export function grouped(s) {
  const [int, frac] = String(s).split(".");
  const sign = int.startsWith("-") ? "-" : "";
  const body = int.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + body + (frac !== undefined ? "." + frac : "");
}

export const isNeg = (s) => String(s).trim().startsWith("-") && toUnits(s, decimalsOf(s)) !== 0n;

// The exchange's text without trailing zeros ("1.2300" -> "1.23", "5.000" -> "5"). String work,
// never parseFloat. Empty and missing values pass through.
export function trim(s) {
  if (!s || !String(s).includes(".")) return s;
  return String(s).replace(/0+$/, "").replace(/\.$/, "");
}
