/** Runs collectors in-process against a fixture tree and returns what a scrape would serve. */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { allFlags } from '../../src/options.js';
import type { CollectorContext, CollectorFactory } from '../../src/collector/collector.js';
import { ConfigStore } from '../../src/config/store.js';
import { NodeCollector } from '../../src/collector/node-collector.js';
import { collectorFactories } from '../../src/collectors.js';
import { createCollectors, hostFsFor } from '../../src/exporter.js';
import { toConfig } from '../../src/options.js';
import type { MetricFamily } from '../../src/exposition/model.js';
import { writeText } from '../../src/exposition/text.js';
import { parseFlags } from '../../src/cli/flags.js';
import { createLogger, type Logger } from '../../src/lib/log.js';
import { HostFs } from '../../src/hostfs/host-fs.js';
import { HostPaths } from '../../src/hostfs/paths.js';

/** The repository's test/fixtures folder (tests run from build/test, fixtures stay in test/). */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export interface CollectResult {
  families: MetricFamily[];
  text: string;
  /** node_scrape_collector_success per collector. */
  success: Record<string, number>;
  logs: string[];
}

/**
 * Scrapes the named collectors once with the given extra flags, e.g.
 * `collect(['loadavg'], ['--path.procfs', fixture('proc')])`.
 */
export async function collect(
  names: readonly string[],
  argv: readonly string[] = [],
  factories: readonly CollectorFactory[] = collectorFactories,
  timeoutMs = 5000,
): Promise<CollectResult> {
  const logs: string[] = [];
  const log: Logger = createLogger('debug', 'logfmt', (line) => logs.push(line));
  const flags = parseFlags(allFlags(factories), [
    '--collector.disable-defaults',
    ...names.map((n) => `--collector.${n}`),
    ...argv,
  ]);
  const config = toConfig(factories, flags);
  const host = hostFsFor(config);
  const collectors = createCollectors(factories, config, flags, log, host);
  let families: MetricFamily[];
  try {
    families = await new NodeCollector(collectors, log).collect(timeoutMs);
  } finally {
    await Promise.allSettled([...collectors.values()].map(async (c) => c.close?.()));
    host.close();
  }
  const success: Record<string, number> = {};
  for (const f of families) {
    if (f.desc.name !== 'node_scrape_collector_success') continue;
    for (const s of f.samples) success[s.labels['collector'] as string] = s.value;
  }
  return { families, text: writeText(families), success, logs };
}

/** The text output without the lines that differ between runs (durations). */
export function stableText(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/node_scrape_collector_duration_seconds/.test(l))
    .join('\n');
}

/** Value of one series from a text exposition, or undefined. `series` is the exact left-hand side. */
export function valueOf(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/**
 * A CollectorContext for calling a factory's create() directly: empty config file unless given,
 * and the host read through `host`, else a HostFs of its own for `paths` (the real roots by default).
 */
export function testContext(
  { paths, ...ctx }: Omit<CollectorContext, 'config' | 'host'> & { config?: CollectorContext['config']; host?: HostFs; paths?: HostPaths },
): CollectorContext {
  const host = ctx.host ?? new HostFs(paths ?? new HostPaths());
  return { config: ConfigStore.of({ process_names: [], checks: [], modules: {} }), ...ctx, host };
}
