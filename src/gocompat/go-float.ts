/**
 * Formats a sample value the way Go's expfmt text encoder does: special cases for
 * 0, 1, -1, NaN and infinities, otherwise strconv.FormatFloat(v, 'g', -1, 64).
 * Dashboards do not care, but byte-identical output lets us diff against node_exporter.
 */
export function formatGoFloat(v: number): string {
  if (v === 1) return '1';
  if (v === 0) return '0';
  if (v === -1) return '-1';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // Most samples are counters: an integer below 1e6 in magnitude has fewer than 7 digits, which
  // 'g' writes out in full, as String() does.
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) return String(v);
  return formatShortestG(v);
}

/** strconv.FormatFloat(v, 'g', -1, 64) for finite, non-zero v. */
export function formatShortestG(v: number): string {
  const negative = v < 0;
  // toExponential() without an argument yields the shortest round-tripping digits.
  const exp = Math.abs(v).toExponential();
  const eAt = exp.indexOf('e');
  const digits = exp.slice(0, eAt).replace('.', '');
  const e = Number(exp.slice(eAt + 1));
  const nd = digits.length;
  let eprec = 6;
  if (nd < eprec && nd >= e + 1) eprec = nd;
  let out: string;
  if (e < -4 || e >= eprec) {
    const abs = Math.abs(e);
    out = digits[0] + (nd > 1 ? '.' + digits.slice(1) : '') + 'e' + (e < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs;
  } else {
    const dp = e + 1;
    if (dp <= 0) out = '0.' + '0'.repeat(-dp) + digits;
    else if (dp >= nd) out = digits + '0'.repeat(dp - nd);
    else out = digits.slice(0, dp) + '.' + digits.slice(dp);
  }
  return negative ? '-' + out : out;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Go's strconv.ParseFloat for decimal text: also "NaN" and "[+-]Inf[inity]" in any case;
 * undefined where Go reports an error, including overflow to infinity. Hex floats, which
 * never occur in these files, are refused.
 */
export function parseGoFloat(text: string): number | undefined {
  if (DECIMAL.test(text)) {
    const v = Number(text);
    return Number.isFinite(v) ? v : undefined;
  }
  if (/^nan$/i.test(text)) return NaN;
  const inf = INFINITY.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return undefined;
}
