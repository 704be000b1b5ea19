// @ts-check
/**
 * The demo's two pictures of a time series: a text chart for the terminal and an SVG file for
 * the README. Pure functions: samples in, text out.
 */

/**
 * @typedef {{ t: number, v: number }} Sample  time in Unix seconds, value in CPUs
 * @typedef {{ name: string, start: number, end: number }} Phase  a labelled stretch of the run
 * @typedef {{ label: string, samples: readonly Sample[] }} Series
 */

const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * Columns of bars, one per sample, `height` rows tall, with a y axis in CPUs and a row under the
 * bars naming the phase each sample belongs to (its first letter).
 * @param {readonly Sample[]} samples
 * @param {readonly Phase[]} phases
 * @param {{ height?: number }} [options]
 */
export function textChart(samples, phases, { height = 10 } = {}) {
  if (samples.length === 0) return '(no samples)';
  const top = niceCeiling(Math.max(...samples.map((s) => s.v)));
  const eighths = samples.map((s) => Math.round((Math.max(0, s.v) / top) * height * 8));
  const lines = [];
  for (let row = height - 1; row >= 0; row--) {
    const axis = row === height - 1 ? top.toFixed(2) : row === 0 ? '0.00' : '';
    const bars = eighths.map((e) => BLOCKS[Math.max(0, Math.min(8, e - row * 8))]).join('');
    lines.push(`${axis.padStart(6)} │${bars}`);
  }
  lines.push(`${''.padStart(6)} └${'─'.repeat(samples.length)}`);
  lines.push(`${'phase'.padStart(6)}  ${samples.map((s) => phaseAt(phases, s.t)?.name[0] ?? ' ').join('')}`);
  const legend = phases.map((p) => `${p.name[0]} = ${p.name} (${Math.round(p.end - p.start)} s)`).join(', ');
  lines.push(`${''.padStart(6)}  one column per second; ${legend}`);
  return lines.join('\n');
}

/**
 * A line chart of one or more series over shaded phases, as a standalone SVG document.
 * @param {readonly Series[]} series  the first is drawn strongest
 * @param {readonly Phase[]} phases
 * @param {{ title: string, subtitle?: string, yLabel: string, markers?: readonly { label: string, value: number }[] }} text
 */
export function svgChart(series, phases, text) {
  const width = 800;
  const pad = { left: 64, right: 24, top: 56, bottom: 48 + 18 * series.length };
  const height = 300 + pad.bottom;
  const all = series.flatMap((s) => s.samples);
  if (all.length === 0) throw new Error('svgChart: no samples');
  const t0 = Math.min(...all.map((s) => s.t), ...phases.map((p) => p.start));
  const t1 = Math.max(...all.map((s) => s.t), ...phases.map((p) => p.end));
  const top = niceCeiling(Math.max(...all.map((s) => s.v), ...(text.markers ?? []).map((m) => m.value)));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (/** @type {number} */ t) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
  const y = (/** @type {number} */ v) => pad.top + plotH - (v / top) * plotH;
  const fmt = (/** @type {number} */ n) => n.toFixed(1);

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${pad.left}" y="22" font-size="15" font-weight="bold">${escapeXml(text.title)}</text>`);
  if (text.subtitle) out.push(`<text x="${pad.left}" y="40" fill="#555">${escapeXml(text.subtitle)}</text>`);
  const shades = ['#f2f2f2', '#fde2c8', '#e4eefb', '#e8f5e4'];
  phases.forEach((p, i) => {
    out.push(`<rect x="${fmt(x(p.start))}" y="${pad.top}" width="${fmt(x(p.end) - x(p.start))}" height="${plotH}" fill="${shades[i % shades.length]}"/>`);
    out.push(`<text x="${fmt((x(p.start) + x(p.end)) / 2)}" y="${pad.top + plotH + 32}" text-anchor="middle" fill="#333">${escapeXml(p.name)}</text>`);
  });
  for (let i = 0; i <= 5; i++) {
    const v = (top * i) / 5;
    out.push(`<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#ccc" stroke-width="1"/>`);
    out.push(`<text x="${pad.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  const tickEvery = t1 - t0 > 60 ? 20 : 10;
  for (let s = 0; s <= t1 - t0; s += tickEvery) {
    out.push(`<text x="${fmt(x(t0 + s))}" y="${pad.top + plotH + 16}" text-anchor="middle" fill="#555">${s}s</text>`);
  }
  out.push(`<text transform="translate(16 ${pad.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(text.yLabel)}</text>`);
  for (const m of text.markers ?? []) {
    out.push(`<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${fmt(y(m.value))}" y2="${fmt(y(m.value))}" stroke="#888" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${pad.left + 4}" y="${fmt(y(m.value) - 4)}" fill="#555">${escapeXml(m.label)}</text>`);
  }
  const colours = ['#d1495b', '#2e86ab', '#3b8b3b'];
  series.forEach((s, i) => {
    if (s.samples.length === 0) return;
    const points = s.samples.map((p) => `${fmt(x(p.t))},${fmt(y(p.v))}`).join(' ');
    // Later series dashed, so one that runs on top of another (the server's CPU seen two ways) still shows.
    const dash = i >= 2 ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${points}" fill="none" stroke="${colours[i % colours.length]}" stroke-width="${i === 0 ? 2.5 : 1.5}"${dash}/>`);
    const ly = height - 12 - 18 * (series.length - 1 - i);
    out.push(`<line x1="${pad.left}" x2="${pad.left + 18}" y1="${ly}" y2="${ly}" stroke="${colours[i % colours.length]}" stroke-width="3"/>`);
    out.push(`<text x="${pad.left + 24}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  out.push(`<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * @param {readonly Phase[]} phases
 * @param {number} t
 */
export function phaseAt(phases, t) {
  return phases.find((p) => t >= p.start && t < p.end);
}

/** A round top for the y axis at or above `v`: 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, ... */
function niceCeiling(/** @type {number} */ v) {
  const steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
  if (!(v > 0.25)) return 0.25;
  if (v <= 0.5) return 0.5;
  for (let scale = 1; scale <= 1e6; scale *= 10) {
    const top = steps.map((s) => s * scale).find((s) => s >= v);
    if (top !== undefined) return top;
  }
  return v;
}

function escapeXml(/** @type {string} */ s) {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}
