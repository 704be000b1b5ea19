/**
 * Our exporter against Debian's node_exporter, both as real processes, both reading one
 * snapshot of this host's /proc, /sys and / (test/helpers/proc-copy.ts lists the files per
 * collector). Every family node_exporter emits for a shared collector must be emitted by ours
 * with the same TYPE, HELP, series (label sets) and values, written the same way. The only
 * exclusions are EXCLUSIONS and MEMINFO_KEPT below, each with its reason; where Debian's 1.5
 * build has other defaults (filters, netlink), COLLECTOR_HOST_FILES gives both the same flags.
 */
import test, { type ExecutionContext } from 'ava';
import { MEMINFO_METRIC_NAMES } from '../../src/collector/meminfo.js';
import { type ExporterProcess, NODE_EXPORTER_BIN, requireBinary, sharedCollectors, startExporter } from '../helpers/exporters.js';
import { byName, parseExposition, type ParsedFamily, type ParsedSample, seriesKey } from '../helpers/exposition-parse.js';
import { copyHostTree, type HostTree, onlyCollectorsArgs, unlistedCollectors } from '../helpers/proc-copy.js';

const EXCLUSIONS = {
  /** The exporter's own process/runtime and HTTP handler metrics differ by implementation language. */
  ownFamilies: /^(go_|process_|promhttp_|nodejs_)|^(node_exporter|sidecar_exporter)_build_info$/,
  /** Present in both, but their values change between two scrapes: only the value is not compared. */
  valueVaries: new Set([
    'node_time_seconds',
    'node_scrape_collector_duration_seconds',
    // statfs of the live filesystem that holds the tree (mountpoint "/"), which other
    // processes write to between the two exporters' calls.
    'node_filesystem_avail_bytes',
    'node_filesystem_free_bytes',
    'node_filesystem_files_free',
    // The kernel's clock discipline moves between the two adjtimex calls (test/compat/timex.test.ts
    // compares these within a tolerance).
    'node_timex_offset_seconds',
    'node_timex_frequency_adjustment_ratio',
    'node_timex_maxerror_seconds',
    'node_timex_estimated_error_seconds',
  ]),
  /**
   * Labels node_exporter added after 1.5 (present in the 1.9+ releases we match): removed from
   * our series before comparing them with 1.5's.
   */
  labelsAddedAfter15: new Map([
    ['node_disk_info', ['rotational']],
    ['node_network_info', ['adminstate']],
    ...['avail_bytes', 'device_error', 'files', 'files_free', 'free_bytes', 'readonly', 'size_bytes'].map(
      (m): [string, string[]] => [`node_filesystem_${m}`, ['device_error']],
    ),
  ]),
  /**
   * node_exporter 1.5 reads TCP sockets over netlink (NETLINK_INET_DIAG), not from --path.procfs,
   * so its counts are the live host's (this test's own connections included) and ours are the
   * snapshot's: only TYPE and HELP are compared.
   */
  liveInNodeExporter15: new Set(['node_tcp_connection_states']),
  /**
   * Series ours has and 1.5 lacks by design: 1.5 emitted node_filesystem_readonly only for mounts
   * whose statfs succeeded; later releases emit it for every mount, next to device_error 1.
   */
  seriesAddedAfter15(family: string, sample: ParsedSample, ours: ReadonlyMap<string, ParsedFamily>): boolean {
    if (family !== 'node_filesystem_readonly') return false;
    const labels = labelsKey(sample);
    return ours.get('node_filesystem_device_error')?.samples.some((s) => s.value === 1 && labelsKey(s) === labels) ?? false;
  },
};

function labelsKey(sample: ParsedSample): string {
  return seriesKey({ ...sample, name: '' });
}

/** A series' key with the labels node_exporter 1.5 does not have yet left out. */
function keyAsOf15(family: string, sample: ParsedSample): string {
  const added = EXCLUSIONS.labelsAddedAfter15.get(family);
  if (!added) return seriesKey(sample);
  const labels = Object.fromEntries(Object.entries(sample.labels).filter(([k]) => !added.includes(k)));
  return seriesKey({ ...sample, labels });
}

const shared = sharedCollectors();
const unlisted = unlistedCollectors(shared);
const comparable = shared.filter((n) => !unlisted.includes(n));

/**
 * meminfo: Debian's node_exporter 1.5 emits a family for every /proc/meminfo field; 1.9+ (which
 * we match) emits a fixed list. node_memory_* families outside that list are not compared.
 */
const MEMINFO_KEPT = new Set(MEMINFO_METRIC_NAMES);

interface Comparison {
  readonly differences: string[];
  readonly compared: string[];
  /** Families of ours that node_exporter 1.5 does not emit (logged, not failures). */
  readonly extra: string[];
}

function compare(theirs: readonly ParsedFamily[], ours: readonly ParsedFamily[]): Comparison {
  const ourFamilies = byName(ours);
  const differences: string[] = [];
  const compared: string[] = [];
  const theirNames = new Set<string>();
  for (const ne of theirs) {
    theirNames.add(ne.name);
    if (EXCLUSIONS.ownFamilies.test(ne.name)) continue;
    if (ne.name.startsWith('node_memory_') && !MEMINFO_KEPT.has(ne.name)) continue;
    compared.push(ne.name);
    const our = ourFamilies.get(ne.name);
    if (!our) {
      differences.push(`${ne.name}: missing from ours`);
      continue;
    }
    if (our.type !== ne.type) differences.push(`${ne.name}: TYPE ${our.type}, node_exporter has ${ne.type}`);
    if (our.help !== ne.help) differences.push(`${ne.name}: HELP ${JSON.stringify(our.help)}, node_exporter has ${JSON.stringify(ne.help)}`);
    if (EXCLUSIONS.liveInNodeExporter15.has(ne.name)) continue;
    const ourSeries = new Map(our.samples.map((s) => [keyAsOf15(ne.name, s), s.rawValue]));
    const neSeries = new Map(ne.samples.map((s) => [seriesKey(s), s.rawValue]));
    for (const [key, value] of neSeries) {
      const mine = ourSeries.get(key);
      if (mine === undefined) differences.push(`${key}: series missing from ours`);
      else if (mine !== value && !EXCLUSIONS.valueVaries.has(ne.name)) differences.push(`${key}: ours ${mine}, node_exporter ${value}`);
    }
    for (const s of our.samples) {
      const key = keyAsOf15(ne.name, s);
      if (!neSeries.has(key) && !EXCLUSIONS.seriesAddedAfter15(ne.name, s, ourFamilies)) differences.push(`${key}: series only in ours`);
    }
  }
  const extra = ours.map((f) => f.name).filter((n) => !theirNames.has(n) && !EXCLUSIONS.ownFamilies.test(n));
  return { differences, compared, extra };
}

interface Pair {
  readonly tree: HostTree;
  readonly ours: ExporterProcess;
  readonly theirs: ExporterProcess;
}

let pair: Promise<Pair> | undefined;

/** Both exporters on one snapshot, with the same comparable collectors; started once, on first use. */
function startPair(): Promise<Pair> {
  pair ??= (async () => {
    const tree = await copyHostTree(comparable);
    const args = [...onlyCollectorsArgs(comparable), ...tree.args];
    const [ours, theirs] = await Promise.all([startExporter('ours', args), startExporter('node_exporter', args)]);
    return { tree, ours, theirs };
  })();
  return pair;
}

test.after.always(async () => {
  if (!pair) return;
  const p = await pair.catch(() => undefined);
  if (!p) return;
  await Promise.all([p.ours.stop(), p.theirs.stop()]);
  await p.tree.remove();
});

async function checkSame(t: ExecutionContext, query: string, collectors: readonly string[]): Promise<void> {
  const p = await startPair();
  const [ourText, theirText] = await Promise.all([p.ours.scrape(`/metrics${query}`), p.theirs.scrape(`/metrics${query}`)]);
  const ours = parseExposition(ourText);
  const theirs = parseExposition(theirText);
  const success = byName(theirs).get('node_scrape_collector_success');
  for (const name of collectors) {
    const ok = success?.samples.find((s) => s.labels['collector'] === name)?.value;
    if (ok !== 1) t.log(`note: node_exporter's ${name} collector reports success ${String(ok)} on this host's snapshot`);
  }
  const { differences, compared, extra } = compare(theirs, ours);
  t.log(`compared ${compared.length} families${compared.length <= 20 ? `: ${compared.join(' ')}` : ''}`);
  if (extra.length > 0) t.log(`families only in ours (node_exporter 1.5 lacks them): ${extra.join(', ')}`);
  t.true(compared.length > 0, 'node_exporter emitted nothing to compare');
  t.deepEqual(differences, [], `${differences.length} differences from node_exporter over ${compared.length} families (${p.tree.copied.length} files copied)`);
}

for (const name of shared) {
  test(`side by side with node_exporter: ${name}`, async (t) => {
    if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
    if (unlisted.includes(name)) {
      t.fail(`collector ${name} is registered and node_exporter has it, but COLLECTOR_HOST_FILES in test/helpers/proc-copy.ts does not list the files it reads; add them`);
      return;
    }
    await checkSame(t, `?collect[]=${encodeURIComponent(name)}`, [name]);
  });
}

test('side by side with node_exporter: all shared collectors in one scrape', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  t.log(`collectors compared: ${comparable.join(', ')}`);
  t.true(comparable.length > 0, 'no collector is both registered and in node_exporter');
  await checkSame(t, '', comparable);
});

test('the comparison itself catches differences', (t) => {
  // Guards against a comparison that silently passes: HELP, TYPE, values and series all count.
  const theirs = parseExposition(
    '# HELP a A.\n# TYPE a gauge\na{x="1"} 1\na{x="2"} 2\n# HELP b B.\n# TYPE b counter\nb 3\n' +
      'go_goroutines 7\nnode_memory_KReclaimable_bytes 1\nnode_memory_MemTotal_bytes 2\nnode_time_seconds 5\n' +
      'node_disk_info{device="vda"} 1\nnode_tcp_connection_states{state="listen"} 3\n' +
      'node_filesystem_device_error{mountpoint="/a"} 1\nnode_filesystem_device_error{mountpoint="/b"} 0\n' +
      'node_filesystem_readonly{mountpoint="/b"} 0\n',
  );
  const ours = parseExposition(
    '# HELP a A!\n# TYPE a counter\na{x="1"} 1.0\na{x="3"} 2\nnode_time_seconds 6\n' +
      'node_disk_info{device="vda",rotational="1"} 1\nnode_tcp_connection_states{state="listen"} 2\n' +
      'node_filesystem_device_error{device_error="x",mountpoint="/a"} 1\nnode_filesystem_device_error{device_error="",mountpoint="/b"} 0\n' +
      'node_filesystem_readonly{device_error="x",mountpoint="/a"} 0\nnode_filesystem_readonly{device_error="",mountpoint="/b"} 0\n' +
      'node_filesystem_readonly{device_error="",mountpoint="/c"} 0\n',
  );
  t.deepEqual(compare(theirs, ours).differences, [
    'a: TYPE counter, node_exporter has gauge',
    'a: HELP "A!", node_exporter has "A."',
    'a{x="1"}: ours 1.0, node_exporter 1',
    'a{x="2"}: series missing from ours',
    'a{x="3"}: series only in ours',
    'b: missing from ours',
    'node_memory_MemTotal_bytes: missing from ours',
    'node_filesystem_readonly{mountpoint="/c"}: series only in ours',
  ]);
});
