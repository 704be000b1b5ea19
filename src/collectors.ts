/**
 * Every collector this exporter has, with its default state. Adding a collector is one file
 * plus one line here; the --collector.<name> flags and the README table follow from this list.
 */
import { arpCollector } from './collector/arp.js';
import type { CollectorFactory } from './collector/collector.js';
import { cgroupCollector } from './collector/cgroup.js';
import { conntrackCollector } from './collector/conntrack.js';
import { cpuCollector } from './collector/cpu.js';
import { cpufreqCollector } from './collector/cpufreq.js';
import { diskstatsCollector } from './collector/diskstats.js';
import { dmiCollector } from './collector/dmi.js';
import { entropyCollector } from './collector/entropy.js';
import { filefdCollector } from './collector/filefd.js';
import { filesystemCollector } from './collector/filesystem.js';
import { hwmonCollector } from './collector/hwmon.js';
import { interruptsCollector } from './collector/interrupts.js';
import { loadavgCollector } from './collector/loadavg.js';
import { meminfoCollector } from './collector/meminfo.js';
import { netclassCollector } from './collector/netclass.js';
import { netdevCollector } from './collector/netdev.js';
import { netstatCollector } from './collector/netstat.js';
import { osCollector } from './collector/os.js';
import { powerSupplyClassCollector } from './collector/powersupplyclass.js';
import { pressureCollector } from './collector/pressure.js';
import { processGroupsCollector } from './collector/process_groups.js';
import { processesCollector } from './collector/processes.js';
import { schedstatCollector } from './collector/schedstat.js';
import { sockstatCollector } from './collector/sockstat.js';
import { softnetCollector } from './collector/softnet.js';
import { statCollector } from './collector/stat.js';
import { tcpstatCollector } from './collector/tcpstat.js';
import { textfileCollector } from './collector/textfile.js';
import { thermalZoneCollector } from './collector/thermal_zone.js';
import { timeCollector } from './collector/time.js';
import { timexCollector } from './collector/timex.js';
import { udpQueuesCollector } from './collector/udp_queues.js';
import { unameCollector } from './collector/uname.js';
import { uptimeCollector, uptimeCollectorSharing } from './uptime/collector.js';
import { vmstatCollector } from './collector/vmstat.js';
import { fallbackCollectorFactories } from './platform/fallback-registry.js';
import { hostCpuCollector } from './platform/host-cpu.js';
import type { ProbeEnvironment } from './probe/environment.js';

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
  timexCollector,
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

/** The same collectors, the uptime one's checks probing within `probes` (the ones /probe uses). */
export function collectorFactoriesSharing(probes: ProbeEnvironment): readonly CollectorFactory[] {
  return collectorFactories.map((f) => (f === uptimeCollector ? uptimeCollectorSharing(probes) : f));
}
