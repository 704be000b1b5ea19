/**
 * The timex collector beside Debian's node_exporter on this machine: both call adjtimex(2) on the
 * same kernel, so every node_timex_* family must have the same name, HELP, TYPE and value. The
 * clock discipline moves between the two calls (the offset is slewed, the error bounds grow
 * 500 µs/s and reset at each NTP update), so those four are compared within a tolerance and
 * retried a bounded number of times; every other value must be written identically.
 */
import test from 'ava';
import { NODE_EXPORTER_BIN, requireBinary, startExporter } from '../helpers/exporters.js';
import { byName, parseExposition, type ParsedFamily } from '../helpers/exposition-parse.js';

const ARGS = ['--collector.disable-defaults', '--collector.timex'];

/** Families whose value may move between two adjtimex calls, with the tolerated difference. */
const MOVING: ReadonlyMap<string, number> = new Map([
  ['node_timex_offset_seconds', 0.001],
  // 1 ppm: the PLL changes the frequency far more slowly than that between two scrapes.
  ['node_timex_frequency_adjustment_ratio', 1e-6],
  ['node_timex_maxerror_seconds', 0.01],
  ['node_timex_estimated_error_seconds', 0.01],
]);
const ROUNDS = 3;

/** node_exporter's 17 families (collector/timex.go). */
const EXPECTED_NAMES = [
  'node_timex_estimated_error_seconds',
  'node_timex_frequency_adjustment_ratio',
  'node_timex_loop_time_constant',
  'node_timex_maxerror_seconds',
  'node_timex_offset_seconds',
  'node_timex_pps_calibration_total',
  'node_timex_pps_error_total',
  'node_timex_pps_frequency_hertz',
  'node_timex_pps_jitter_seconds',
  'node_timex_pps_jitter_total',
  'node_timex_pps_shift_seconds',
  'node_timex_pps_stability_exceeded_total',
  'node_timex_pps_stability_hertz',
  'node_timex_status',
  'node_timex_sync_status',
  'node_timex_tai_offset_seconds',
  'node_timex_tick_seconds',
];

function timexFamilies(body: string): Map<string, ParsedFamily> {
  return byName(parseExposition(body).filter((f) => f.name.startsWith('node_timex_')));
}

function success(body: string): number | undefined {
  const meta = byName(parseExposition(body)).get('node_scrape_collector_success');
  return meta?.samples.find((s) => s.labels['collector'] === 'timex')?.value;
}

/** Differences between the two scrapes, MOVING families within their tolerance. */
function differences(ours: Map<string, ParsedFamily>, theirs: Map<string, ParsedFamily>): string[] {
  const out: string[] = [];
  for (const [name, ne] of theirs) {
    const mine = ours.get(name);
    if (!mine) {
      out.push(`${name}: missing from ours`);
      continue;
    }
    if (mine.help !== ne.help) out.push(`${name}: HELP ${JSON.stringify(mine.help)}, node_exporter ${JSON.stringify(ne.help)}`);
    if (mine.type !== ne.type) out.push(`${name}: TYPE ${mine.type}, node_exporter ${ne.type}`);
    const [a, b] = [mine.samples, ne.samples];
    if (a.length !== 1 || b.length !== 1 || Object.keys(a[0]!.labels).length + Object.keys(b[0]!.labels).length !== 0) {
      out.push(`${name}: expected one unlabelled series each, got ${a.length} and ${b.length}`);
      continue;
    }
    const tolerance = MOVING.get(name);
    if (tolerance === undefined) {
      if (a[0]!.rawValue !== b[0]!.rawValue) out.push(`${name}: ours ${a[0]!.rawValue}, node_exporter ${b[0]!.rawValue}`);
    } else if (!(Math.abs(a[0]!.value - b[0]!.value) <= tolerance)) {
      out.push(`${name}: ours ${a[0]!.value}, node_exporter ${b[0]!.value} (tolerance ${tolerance})`);
    }
  }
  for (const name of ours.keys()) if (!theirs.has(name)) out.push(`${name}: only in ours`);
  return out;
}

test('every node_timex_* family matches node_exporter on this machine', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  const [ours, theirs] = await Promise.all([startExporter('ours', ARGS), startExporter('node_exporter', ARGS)]);
  t.teardown(() => Promise.all([ours.stop(), theirs.stop()]));

  let last: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const [ourBody, theirBody] = await Promise.all([ours.scrape(), theirs.scrape()]);
    t.is(success(theirBody), 1, `node_exporter's timex collector works here:\n${theirs.output.slice(-1000)}`);
    t.is(success(ourBody), 1, `ours:\n${ours.output.slice(-1000)}`);
    const [mine, ne] = [timexFamilies(ourBody), timexFamilies(theirBody)];
    t.deepEqual([...ne.keys()].sort(), EXPECTED_NAMES, 'node_exporter serves the 17 families');
    last = differences(mine, ne);
    if (last.length === 0) break;
    t.log(`round ${round}: ${last.join('; ')}`);
  }
  t.deepEqual(last, []);
  // Nothing said at info level or above: the call worked.
  t.notRegex(ours.output, /level=(WARN|ERROR)/);
});
