/**
 * Every flag node_exporter 1.x takes, by name and whether it is a boolean, so that a command line
 * written for node_exporter starts this exporter too (issue 13): the flags this exporter does
 * not implement are accepted, named in one warning, and ignored (src/options.ts).
 * Gathered from node_exporter 1.5's --help (Debian's build) and from the flag declarations of
 * upstream's main branch (a7dcc3a0, 2026), including exporter-toolkit's --web.* flags and the
 * collectors of every platform. test/compat/node-exporter-flags.test.ts checks it against the
 * installed node_exporter's --help.
 */

/** Flags without a value: `--name`, `--no-name`, `--name=false`. */
export const NODE_EXPORTER_BOOL_FLAGS: readonly string[] = [
  'collector.arp', 'collector.arp.netlink', 'collector.bcache', 'collector.bcache.priorityStats',
  'collector.bonding', 'collector.boottime', 'collector.btrfs', 'collector.buddyinfo', 'collector.cgroups',
  'collector.conntrack', 'collector.cpu', 'collector.cpu.guest', 'collector.cpu.info',
  'collector.cpu_vulnerabilities', 'collector.cpufreq', 'collector.devstat', 'collector.disable-defaults',
  'collector.diskstats', 'collector.dmi', 'collector.dmmultipath', 'collector.drbd', 'collector.drm',
  'collector.edac', 'collector.entropy', 'collector.ethtool', 'collector.exec', 'collector.fibrechannel',
  'collector.filefd', 'collector.filesystem', 'collector.hwmon', 'collector.infiniband',
  'collector.interrupts', 'collector.interrupts.include-zeros', 'collector.ipvs', 'collector.kernel_hung',
  'collector.ksmd', 'collector.lnstat', 'collector.loadavg', 'collector.logind', 'collector.mdadm',
  'collector.meminfo', 'collector.meminfo_numa', 'collector.mountstats', 'collector.netclass',
  'collector.netclass.ignore-invalid-speed', 'collector.netclass.netlink',
  'collector.netclass_rtnl.with-stats', 'collector.netdev', 'collector.netdev.address-info',
  'collector.netdev.enable-detailed-metrics', 'collector.netdev.label-ifalias', 'collector.netdev.netlink',
  'collector.netinterface', 'collector.netisr', 'collector.netstat', 'collector.network_route',
  'collector.nfs', 'collector.nfsd', 'collector.ntp', 'collector.ntp.server-is-local', 'collector.nvme',
  'collector.nvmesubsystem', 'collector.os', 'collector.partition', 'collector.pcidevice',
  'collector.pcidevice.names', 'collector.perf', 'collector.perf.disable-cache-profilers',
  'collector.perf.disable-hardware-profilers', 'collector.perf.disable-software-profilers',
  'collector.powersupplyclass', 'collector.pressure', 'collector.processes', 'collector.qdisc',
  'collector.rapl', 'collector.rapl.enable-zone-label', 'collector.runit', 'collector.schedstat',
  'collector.selinux', 'collector.slabinfo', 'collector.sockstat', 'collector.softirqs', 'collector.softnet',
  'collector.stat', 'collector.stat.softirq', 'collector.supervisord', 'collector.swap', 'collector.sysctl',
  'collector.systemd', 'collector.systemd.enable-restarts-metrics',
  'collector.systemd.enable-start-time-metrics', 'collector.systemd.enable-task-metrics',
  'collector.systemd.private', 'collector.tapestats', 'collector.tcpstat', 'collector.textfile',
  'collector.thermal', 'collector.thermal_zone', 'collector.time', 'collector.timex', 'collector.udp_queues',
  'collector.uname', 'collector.vmstat', 'collector.watchdog', 'collector.wifi', 'collector.xfrm',
  'collector.xfs', 'collector.zfs', 'collector.zoneinfo', 'web.disable-exporter-metrics',
  'web.systemd-socket',
];

/** Flags that take a value: `--name=value` or `--name value`. */
export const NODE_EXPORTER_VALUE_FLAGS: readonly string[] = [
  'collector.arp.device-exclude', 'collector.arp.device-include', 'collector.cpu.info.bugs-include',
  'collector.cpu.info.flags-include', 'collector.diskstats.device-exclude',
  'collector.diskstats.device-include', 'collector.diskstats.ignored-devices',
  'collector.ethtool.device-exclude', 'collector.ethtool.device-include',
  'collector.ethtool.metrics-include', 'collector.filesystem.fs-types-exclude',
  'collector.filesystem.fs-types-include', 'collector.filesystem.ignored-fs-types',
  'collector.filesystem.ignored-mount-points', 'collector.filesystem.mount-points-exclude',
  'collector.filesystem.mount-points-include', 'collector.filesystem.mount-timeout',
  'collector.filesystem.stat-workers', 'collector.hwmon.chip-exclude', 'collector.hwmon.chip-include',
  'collector.hwmon.sensor-exclude', 'collector.hwmon.sensor-include', 'collector.infiniband.device-exclude',
  'collector.infiniband.device-include', 'collector.interrupts.name-exclude',
  'collector.interrupts.name-include', 'collector.ipvs.backend-labels', 'collector.netclass.ignored-devices',
  'collector.netdev.device-blacklist', 'collector.netdev.device-exclude', 'collector.netdev.device-include',
  'collector.netdev.device-whitelist', 'collector.netstat.fields', 'collector.ntp.ip-ttl',
  'collector.ntp.local-offset-tolerance', 'collector.ntp.max-distance', 'collector.ntp.protocol-version',
  'collector.ntp.server', 'collector.ntp.server-port', 'collector.pcidevice.idsfile',
  'collector.perf.cache-profilers', 'collector.perf.cpus', 'collector.perf.hardware-profilers',
  'collector.perf.software-profilers', 'collector.perf.tracepoint', 'collector.powersupply.ignored-supplies',
  'collector.qdisc.device-exclude', 'collector.qdisc.device-include', 'collector.qdisc.fixtures',
  'collector.qdisk.device-exclude', 'collector.qdisk.device-include', 'collector.runit.servicedir',
  'collector.slabinfo.slabs-exclude', 'collector.slabinfo.slabs-include', 'collector.supervisord.url',
  'collector.sysctl.include', 'collector.sysctl.include-info', 'collector.systemd.unit-blacklist',
  'collector.systemd.unit-exclude', 'collector.systemd.unit-include', 'collector.systemd.unit-whitelist',
  'collector.tapestats.ignored-devices', 'collector.textfile.directory', 'collector.vmstat.fields',
  'collector.wifi.fixtures', 'log.format', 'log.level', 'path.procfs', 'path.rootfs', 'path.sysfs',
  'path.udev.data', 'runtime.gomaxprocs', 'web.config.file', 'web.listen-address', 'web.max-requests',
  'web.telemetry-path',
];
