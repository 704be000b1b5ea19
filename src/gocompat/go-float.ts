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

/**
 * Receives a formatted float piece by piece (ASCII only), so that a writer can copy it into its
 * buffer without the pieces being joined into a string first.
 */
export interface FloatOut {
  /** Appends s[start, end). */
  ascii(s: string, start: number, end: number): void;
  /** Appends n '0' characters. */
  zeros(n: number): void;
}

/** Collects FloatOut's pieces into a string, for callers that want one. */
class StringOut implements FloatOut {
  text = '';
  ascii(s: string, start: number, end: number): void {
    this.text += start === 0 && end === s.length ? s : s.slice(start, end);
  }
  zeros(n: number): void {
    this.text += '0'.repeat(n);
  }
}

/** strconv.FormatFloat(v, 'g', -1, 64) for finite, non-zero v. */
export function formatShortestG(v: number): string {
  const out = new StringOut();
  appendShortestG(v, out);
  return out.text;
}

/**
 * formatShortestG, written to `out`. The only string built is toExponential()'s, which
 * yields the shortest round-tripping digits as "d[.ddd]e±x": the mantissa is read in place.
 */
export function appendShortestG(v: number, out: FloatOut): void {
  if (v < 0) out.ascii('-', 0, 1);
  const exp = Math.abs(v).toExponential();
  const eAt = exp.indexOf('e');
  // Digits: exp[0], then exp[2, eAt) when there is a fraction.
  const nd = eAt === 1 ? 1 : eAt - 1;
  let e = 0;
  for (let i = eAt + 2; i < exp.length; i++) e = e * 10 + (exp.charCodeAt(i) - 48);
  if (exp.charCodeAt(eAt + 1) === 45 /* - */) e = -e;
  let eprec = 6;
  if (nd < eprec && nd >= e + 1) eprec = nd;
  if (e < -4 || e >= eprec) {
    const abs = Math.abs(e);
    out.ascii(exp, 0, eAt);
    out.ascii(e < 0 ? 'e-' : 'e+', 0, 2);
    if (abs < 10) out.zeros(1);
    writeSmallInteger(abs, out);
    return;
  }
  const dp = e + 1;
  if (dp <= 0) {
    out.ascii('0.', 0, 2);
    out.zeros(-dp);
    writeDigits(exp, eAt, 0, nd, out);
  } else if (dp >= nd) {
    writeDigits(exp, eAt, 0, nd, out);
    out.zeros(dp - nd);
  } else {
    writeDigits(exp, eAt, 0, dp, out);
    out.ascii('.', 0, 1);
    writeDigits(exp, eAt, dp, nd, out);
  }
}

/** Digits [from, to) of toExponential()'s mantissa, skipping its '.'. */
function writeDigits(exp: string, eAt: number, from: number, to: number, out: FloatOut): void {
  if (from === 0) {
    out.ascii(exp, 0, 1);
    from = 1;
  }
  // Digit i (i >= 1) is at exp[i + 1]; eAt bounds the mantissa.
  if (from < to) out.ascii(exp, from + 1, Math.min(to + 1, eAt));
}

const DIGITS = '0123456789';

/** A non-negative integer below 1000 (an exponent), without building its string. */
function writeSmallInteger(n: number, out: FloatOut): void {
  if (n >= 100) out.ascii(DIGITS, Math.floor(n / 100), Math.floor(n / 100) + 1);
  if (n >= 10) out.ascii(DIGITS, Math.floor(n / 10) % 10, (Math.floor(n / 10) % 10) + 1);
  out.ascii(DIGITS, n % 10, (n % 10) + 1);
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
