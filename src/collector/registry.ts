/**
 * Every collector this exporter has, with its default state. Adding a collector is one file
 * plus one line here; the --collector.<name> flags and the README table follow from this list.
 */
import { arpCollector } from './arp.js';
import type { CollectorFactory } from './collector.js';
import { cgroupCollector } from './cgroup.js';
import { conntrackCollector } from './conntrack.js';
import { cpuCollector } from './cpu.js';
import { cpufreqCollector } from './cpufreq.js';
import { diskstatsCollector } from './diskstats.js';
import { dmiCollector } from './dmi.js';
import { entropyCollector } from './entropy.js';
import { filefdCollector } from './filefd.js';
import { filesystemCollector } from './filesystem.js';
import { hwmonCollector } from './hwmon.js';
import { interruptsCollector } from './interrupts.js';
import { loadavgCollector } from './loadavg.js';
import { meminfoCollector } from './meminfo.js';
import { netclassCollector } from './netclass.js';
import { netdevCollector } from './netdev.js';
import { netstatCollector } from './netstat.js';
import { osCollector } from './os.js';
import { powerSupplyClassCollector } from './powersupplyclass.js';
import { pressureCollector } from './pressure.js';
import { processGroupsCollector } from './process_groups.js';
import { processesCollector } from './processes.js';
import { schedstatCollector } from './schedstat.js';
import { sockstatCollector } from './sockstat.js';
import { softnetCollector } from './softnet.js';
import { statCollector } from './stat.js';
import { tcpstatCollector } from './tcpstat.js';
import { textfileCollector } from './textfile.js';
import { thermalZoneCollector } from './thermal_zone.js';
import { timeCollector } from './time.js';
import { udpQueuesCollector } from './udp_queues.js';
import { unameCollector } from './uname.js';
import { uptimeCollector } from './uptime.js';
import { vmstatCollector } from './vmstat.js';
import { fallbackCollectorFactories } from '../platform/fallback-registry.js';
import { hostCpuCollector } from '../platform/host-cpu.js';

/** The /proc and /sys collectors, as node_exporter has them on Linux. */
const linuxCollectors: readonly CollectorFactory[] = [
  arpCollector,
  cgroupCollector,
  conntrackCollector,
  cpuCollector,
  cpufreqCollector,
  diskstatsCollector,
  dmiCollector,
  entropyCollector,
  filefdCollector,
  filesystemCollector,
  hostCpuCollector,
  hwmonCollector,
  interruptsCollector,
  loadavgCollector,
  meminfoCollector,
  netclassCollector,
  netdevCollector,
  netstatCollector,
  osCollector,
  powerSupplyClassCollector,
  pressureCollector,
  processGroupsCollector,
  processesCollector,
  schedstatCollector,
  sockstatCollector,
  softnetCollector,
  statCollector,
  tcpstatCollector,
  textfileCollector,
  thermalZoneCollector,
  timeCollector,
  udpQueuesCollector,
  unameCollector,
  uptimeCollector,
  vmstatCollector,
];

/** Collectors that read no /proc or /sys, so they run everywhere. */
const portableCollectors: readonly CollectorFactory[] = [
  processGroupsCollector,
  textfileCollector,
  timeCollector,
  unameCollector,
  uptimeCollector,
];

function byName(a: CollectorFactory, b: CollectorFactory): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * On Linux the /proc and /sys collectors; elsewhere (a developer's macOS or Windows laptop)
 * systeminformation-based stand-ins under the same names, plus the portable ones.
 */
export const collectorFactories: readonly CollectorFactory[] = (
  process.platform === 'linux' ? [...linuxCollectors] : [...fallbackCollectorFactories, ...portableCollectors]
).sort(byName);
