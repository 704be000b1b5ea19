/**
 * Every collector this exporter has, with its default state. Adding a collector is one file
 * plus one line here; the --collector.<name> flags and the README table follow from this list.
 */
import type { CollectorFactory } from './collector.js';
import { loadavgCollector } from './loadavg.js';

export const collectorFactories: readonly CollectorFactory[] = [loadavgCollector].sort((a, b) =>
  a.name.localeCompare(b.name),
);
