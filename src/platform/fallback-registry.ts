/**
 * The host collectors for platforms without /proc and /sys (macOS, Windows), so the exporter
 * runs on a developer's laptop. They carry the Linux collectors' names, so --collector.<name>
 * flags mean the same; what they serve is a subset of the Linux metrics (see each file).
 */
import type { CollectorFactory } from '../collector/collector.js';
import { fallbackCpuCollector } from './fallback-cpu.js';
import { fallbackDmiCollector } from './fallback-dmi.js';
import { fallbackFilesystemCollector } from './fallback-filesystem.js';
import { fallbackLoadavgCollector } from './fallback-loadavg.js';
import { fallbackMeminfoCollector } from './fallback-meminfo.js';
import { fallbackNetdevCollector } from './fallback-netdev.js';
import { createHostCpuCollector } from './host-cpu.js';
import { type FallbackDeps, defaultFallbackDeps } from './system-info.js';

export function createFallbackCollectorFactories(deps: FallbackDeps = defaultFallbackDeps()): CollectorFactory[] {
  return [
    fallbackCpuCollector(deps),
    fallbackDmiCollector(deps),
    fallbackFilesystemCollector(deps),
    createHostCpuCollector(deps),
    fallbackLoadavgCollector(deps),
    fallbackMeminfoCollector(deps),
    fallbackNetdevCollector(deps),
  ];
}

/** Nothing here loads systeminformation or starts a timer until a collector is created. */
export const fallbackCollectorFactories: readonly CollectorFactory[] = createFallbackCollectorFactories();
