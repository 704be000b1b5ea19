/**
 * `promtool check metrics` (Prometheus' exposition linter) on our output and on node_exporter's
 * for the same collectors on the same host snapshot: promtool must parse ours, and it may only
 * complain about things it also complains about in node_exporter's output (such as
 * node_exporter's own camelCase node_memory_* names, which dashboards depend on).
 */
import test, { type ExecutionContext } from 'ava';
import { NODE_EXPORTER_BIN, PROMTOOL_BIN, requireBinary, runWithInput, sharedCollectors, startExporter } from '../helpers/exporters.js';
import { parseExposition } from '../helpers/exposition-parse.js';
import { copyHostTree, onlyCollectorsArgs, unlistedCollectors } from '../helpers/proc-copy.js';

const shared = sharedCollectors();
const unlisted = unlistedCollectors(shared);
const comparable = shared.filter((n) => !unlisted.includes(n));

/**
 * Problems in our full output that node_exporter cannot have: prom-client's standard Node.js
 * runtime gauges (the names every Node.js exporter uses) end in _total although they are gauges.
 * These exact lines only, nothing for host metrics.
 */
const PROM_CLIENT_RUNTIME_PROBLEMS = new Set([
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix',
]);

/** promtool's complaints, one normalised line each; throws if promtool could not parse the input. */
async function promtoolProblems(exposition: string): Promise<string[]> {
  const r = await runWithInput(PROMTOOL_BIN, ['check', 'metrics'], exposition);
  const lines = (r.stdout + '\n' + r.stderr)
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');
  // 0: clean; 3: lint problems only. Anything else (1: parse error) means the input is broken.
  if (r.code !== 0 && r.code !== 3) throw new Error(`promtool exited with ${String(r.code ?? r.signal)}: ${lines.join('\n')}`);
  return [...new Set(lines)].sort();
}

/** `node_netstat_TcpExt_X` → `node_netstat_`: the subsystem a family belongs to. */
function subsystemOf(metric: string): string {
  return metric.split('_').slice(0, 2).join('_') + '_';
}

/**
 * Our problems that node_exporter 1.5 does not have. A problem on a family 1.5 does not emit at
 * all (added in later releases, e.g. node_netstat_TcpExt_TCPOFOQueue) cannot be compared
 * directly; it is accepted when 1.5 has the same complaint for a family of the same subsystem
 * (every node_netstat_TcpExt_* name is camelCase), and reported otherwise.
 */
function problemsOnlyInOurs(ours: readonly string[], theirs: readonly string[], theirFamilies: ReadonlySet<string>): string[] {
  const theirSet = new Set(theirs);
  const split = (problem: string): [string, string] => {
    const space = problem.indexOf(' ');
    return [problem.slice(0, space), problem.slice(space + 1)];
  };
  const theirKinds = new Set(theirs.map((p) => {
    const [metric, what] = split(p);
    return subsystemOf(metric) + ' ' + what;
  }));
  return ours.filter((p) => {
    if (theirSet.has(p)) return false;
    const [metric, what] = split(p);
    const family = metric.replace(/_(bucket|sum|count|total|created)$/, '');
    const newFamily = !theirFamilies.has(metric) && !theirFamilies.has(family);
    return !(newFamily && theirKinds.has(subsystemOf(metric) + ' ' + what));
  });
}

async function compareWithNodeExporter(t: ExecutionContext, extraArgs: readonly string[], allowedOnlyInOurs: ReadonlySet<string>): Promise<void> {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter') || !requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  t.true(comparable.length > 0, 'no collector is both registered and in node_exporter');
  const tree = await copyHostTree(comparable);
  const args = [...onlyCollectorsArgs(comparable), ...tree.args, ...extraArgs];
  const running = await Promise.allSettled([startExporter('ours', args), startExporter('node_exporter', args)]);
  try {
    const [ours, theirs] = running.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as [Awaited<ReturnType<typeof startExporter>>, Awaited<ReturnType<typeof startExporter>>];
    const [ourText, theirText] = await Promise.all([ours.scrape(), theirs.scrape()]);
    const [ourProblems, theirProblems] = await Promise.all([promtoolProblems(ourText), promtoolProblems(theirText)]);
    const theirFamilies = new Set(parseExposition(theirText).map((f) => f.name));
    const onlyOurs = problemsOnlyInOurs(ourProblems, theirProblems, theirFamilies).filter((p) => !allowedOnlyInOurs.has(p));
    t.log(`collectors: ${comparable.join(', ')}; promtool problems: ours ${ourProblems.length}, node_exporter ${theirProblems.length}`);
    t.deepEqual(onlyOurs, [], 'promtool reports problems in our output that it does not report in node_exporter\'s');
  } finally {
    await Promise.all(running.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await tree.remove();
  }
}

test('promtool finds no problem in our host metrics that it does not find in node_exporter\'s', async (t) => {
  await compareWithNodeExporter(t, ['--web.disable-exporter-metrics'], new Set());
});

test('promtool: our whole default output, exporter metrics included, adds only prom-client\'s runtime names', async (t) => {
  await compareWithNodeExporter(t, [], PROM_CLIENT_RUNTIME_PROBLEMS);
});

test('a problem on a family node_exporter 1.5 lacks passes only if 1.5 has it in the same subsystem', (t) => {
  const camel = "metric names should be written in 'snake_case' not 'camelCase'";
  const theirs = [`node_netstat_TcpExt_TCPSynRetrans ${camel}`];
  const theirFamilies = new Set(['node_netstat_TcpExt_TCPSynRetrans', 'node_load1']);
  t.deepEqual(
    problemsOnlyInOurs(
      [`node_netstat_TcpExt_TCPOFOQueue ${camel}`, `node_netstat_TcpExt_TCPSynRetrans ${camel}`, `node_load1 ${camel}`, `node_new_thing ${camel}`],
      theirs,
      theirFamilies,
    ),
    [`node_load1 ${camel}`, `node_new_thing ${camel}`],
  );
});

test('promtool rejects a broken exposition (the check is live)', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  await t.throwsAsync(promtoolProblems('# TYPE x counter\nx{ 1\n'), { message: /promtool exited/ });
  t.deepEqual(await promtoolProblems('# HELP x_bits X.\n# TYPE x_bits gauge\nx_bits 1\n'), ['x_bits use base unit "bytes" instead of "bits"']);
});
