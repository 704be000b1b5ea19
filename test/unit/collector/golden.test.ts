/**
 * The whole exporter, run as a process on the fixture tree test/fixtures/tree with every default
 * collector, compared line by line with test/fixtures/golden/default.txt. After a deliberate
 * change to the output, `UPDATE_GOLDEN=1 npm test` rewrites the golden file; review its diff.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fixture } from '../../helpers/collect.js';
import { startExporter } from '../../helpers/exporters.js';

const GOLDEN = fixture('golden', 'default.txt');
const TREE = fixture('tree');

/** Lines that differ between runs or machines, as node_exporter's own end-to-end test drops them. */
const VARYING = /^(node_scrape_collector_duration_seconds|node_time_seconds|node_textfile_mtime_seconds|sidecar_exporter_build_info)\b/;

export function normalise(text: string): string {
  return text
    .split('\n')
    .filter((line) => !VARYING.test(line))
    .map((line) => line.replace(`machine="${os.machine()}"`, 'machine="<machine>"'))
    .join('\n');
}

test('the default collectors on the fixture tree give the golden output', async (t) => {
  const exporter = await startExporter(
    'ours',
    [
      `--path.procfs=${TREE}/proc`,
      `--path.sysfs=${TREE}/sys`,
      `--path.rootfs=${TREE}/root`,
      `--path.udev.data=${TREE}/udev/data`,
      `--collector.textfile.directory=${TREE}/textfile`,
      '--web.disable-exporter-metrics',
      // adjtimex(2) reads the live kernel, not the tree; node_exporter's end-to-end test leaves
      // timex out for the same reason (test/unit/collector/timex.test.ts and test/compat cover it).
      '--no-collector.timex',
    ],
    { env: { ...process.env, TZ: 'UTC' } },
  );
  t.teardown(() => exporter.stop());
  const got = normalise(await exporter.scrape());
  if (process.env['UPDATE_GOLDEN'] === '1') {
    await writeFile(GOLDEN, got);
    t.log(`rewrote ${GOLDEN}`);
  }
  const want = await readFile(GOLDEN, 'utf8');
  const gotLines = got.split('\n');
  const wantLines = want.split('\n');
  const missing = wantLines.filter((l) => !gotLines.includes(l));
  const extra = gotLines.filter((l) => !wantLines.includes(l));
  t.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'lines differ from the golden file');
  t.is(got, want, 'same lines, different order');
  // Every collector ran successfully on the tree; a failure here means a fixture is missing.
  const failed = gotLines.filter((l) => l.startsWith('node_scrape_collector_success') && l.endsWith(' 0'));
  t.deepEqual(failed, []);
});
