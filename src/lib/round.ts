/**
 * Half-up rounding for published percentages. `Math.round(x * 100) / 100` gets 1.005 wrong (the
 * binary product is 100.49999…); shifting the decimal point in the number's shortest decimal
 * string instead rounds the value as it is written, which is what a reader expects.
 */

/** Rounds to `dp` decimal places, halves away from zero: 89.5 → 90, 1.005 → 1.01 (2 dp), -2.5 → -3. */
export function roundHalfUp(x: number, dp = 0): number {
  if (!Number.isInteger(dp) || dp < 0 || dp > 15) throw new RangeError(`decimal places must be an integer from 0 to 15, got ${dp}`);
  if (!Number.isFinite(x)) return x;
  const sign = x < 0 ? -1 : 1;
  const shifted = Math.round(shiftDecimal(Math.abs(x), dp));
  const rounded = sign * shiftDecimal(shifted, -dp);
  // Avoids publishing -0 for small negative values.
  return rounded === 0 ? 0 : rounded;
}

/** x × 10^places, exactly on the decimal string (String() may use exponent notation: 1e-7). */
function shiftDecimal(x: number, places: number): number {
  const [mantissa, exponent = '0'] = String(x).split('e');
  return Number(`${mantissa}e${Number(exponent) + places}`);
}
