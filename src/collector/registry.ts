/**
 * Every collector this exporter has, with its default state. Adding a collector is one file
 * plus one line here; the --collector.<name> flags and the README table follow from this list.
 */
import type { CollectorFactory } from './collector.js';
import { cpuCollector } from './cpu.js';
import { diskstatsCollector } from './diskstats.js';
import { netclassCollector } from './netclass.js';
import { netdevCollector } from './netdev.js';
import { loadavgCollector } from './loadavg.js';
import { vmstatCollector } from './vmstat.js';
import { pressureCollector } from './pressure.js';
import { meminfoCollector } from './meminfo.js';
import { filefdCollector } from './filefd.js';
import { entropyCollector } from './entropy.js';
import { statCollector } from './stat.js';
import { osCollector } from './os.js';
import { timeCollector } from './time.js';
import { unameCollector } from './uname.js';

export const collectorFactories: readonly CollectorFactory[] = [
  cpuCollector,
  diskstatsCollector,
  netclassCollector,
  netdevCollector,
  entropyCollector,
  filefdCollector,
  loadavgCollector,
  meminfoCollector,
  pressureCollector,
  statCollector,
  osCollector,
  timeCollector,
  unameCollector,
  vmstatCollector,
].sort((a, b) =>
  a.name.localeCompare(b.name),
);
