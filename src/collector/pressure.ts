import { desc, type MetricDesc } from '../exposition/model.js';
import { parsePressure, type PressureStats } from '../procfs/pressure.js';
import type { CollectorFactory } from './collector.js';
import type { MetricSink } from './sink.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';

const counter = (name: string, help: string) => desc(`node_pressure_${name}_seconds_total`, help, 'counter');

/**
 * The resources node_exporter 1.12 reads, with the series each line feeds. A resource's
 * listed lines are required; the others are ignored (cpu "full" is always 0 system-wide,
 * and irq has no "some"). irq exists from kernel 6.1 with CONFIG_IRQ_TIME_ACCOUNTING.
 */
const RESOURCES: ReadonlyArray<{ name: string; some?: MetricDesc; full?: MetricDesc }> = [
  { name: 'cpu', some: counter('cpu_waiting', 'Total time in seconds that processes have waited for CPU time') },
  {
    name: 'io',
    some: counter('io_waiting', 'Total time in seconds that processes have waited due to IO congestion'),
    full: counter('io_stalled', 'Total time in seconds no process could make progress due to IO congestion'),
  },
  {
    name: 'memory',
    some: counter('memory_waiting', 'Total time in seconds that processes have waited for memory'),
    full: counter('memory_stalled', 'Total time in seconds no process could make progress due to memory congestion'),
  },
  { name: 'irq', full: counter('irq_stalled', 'Total time in seconds no process could make progress due to IRQ congestion') },
];

/** Reads /proc/pressure/<resource>; rejects with the fs error (code ENOENT, ENOTSUP, …) or a parse error. */
export type PressureReader = (resource: string, signal: AbortSignal) => Promise<PressureStats>;

/** Kernels booted with psi=0 fail reads with EOPNOTSUPP, which Node names ENOTSUP. */
function isPsiDisabled(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTSUP' || code === 'EOPNOTSUPP';
}

/** Two divisions by 1000, as node_exporter does: `/ 1e6` rounds differently (20.320596 vs 20.320596000000002). */
function microsToSeconds(micros: number): number {
  return micros / 1000 / 1000;
}

/** The collector's work, with the reader passed in so tests can simulate a psi=0 kernel. */
export async function addPressure(sink: MetricSink, read: PressureReader, signal: AbortSignal): Promise<void> {
  let found = 0;
  for (const { name, some, full } of RESOURCES) {
    let stats: PressureStats;
    try {
      stats = await read(name, signal);
    } catch (err) {
      if (isNotFound(err)) continue; // kernel < 4.20 (or < 6.1 for irq), or CONFIG_PSI off
      if (isPsiDisabled(err)) throw new NoDataError('pressure information is disabled (psi=0 on the kernel command line)');
      throw err;
    }
    if ((some && !stats.some) || (full && !stats.full)) {
      throw new NoDataError(`pressure information for ${name} has no ${some && !stats.some ? 'some' : 'full'} line`);
    }
    if (some && stats.some) sink.add(some, microsToSeconds(stats.some.totalMicroseconds));
    if (full && stats.full) sink.add(full, microsToSeconds(stats.full.totalMicroseconds));
    found++;
  }
  if (found === 0) throw new NoDataError('pressure information is unavailable (needs Linux >= 4.20 with CONFIG_PSI)');
}

export const pressureCollector: CollectorFactory = {
  name: 'pressure',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => ({
    update: (sink, signal) =>
      addPressure(sink, (resource, s) => host.parseFile(paths.proc('pressure', resource), parsePressure, s), signal),
  }),
};
