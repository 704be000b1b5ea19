/**
 * node_exporter's cpufreq collector: per-CPU frequencies (kHz files, served in Hz) and the
 * scaling governor, from /sys/devices/system/cpu/cpuN/cpufreq (usually a link to a shared
 * policyN directory). Missing or root-only files (cpuinfo_cur_freq) are left out.
 */
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import { cpuEntries, governorStates, parseKilohertz } from '../sysfs/cpufreq.js';
import { parseCpuList } from '../sysfs/cpulist.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { isNotFound } from '../hostfs/errors.js';

const freq = (name: string, help: string): MetricDesc => desc(`node_cpu_${name}`, help, 'gauge', ['cpu']);

/** The kHz files and their metrics; help texts are node_exporter 1.12's. */
const FREQUENCY_FILES: ReadonlyArray<[string, MetricDesc]> = [
  ['cpuinfo_cur_freq', freq('frequency_hertz', 'Current CPU thread frequency in hertz.')],
  ['cpuinfo_avg_freq', freq('frequency_avg_hertz', 'Average CPU thread frequency in hertz.')],
  ['cpuinfo_min_freq', freq('frequency_min_hertz', 'Minimum CPU thread frequency in hertz.')],
  ['cpuinfo_max_freq', freq('frequency_max_hertz', 'Maximum CPU thread frequency in hertz.')],
  ['scaling_cur_freq', freq('scaling_frequency_hertz', 'Current scaled CPU thread frequency in hertz.')],
  ['scaling_min_freq', freq('scaling_frequency_min_hertz', 'Minimum scaled CPU thread frequency in hertz.')],
  ['scaling_max_freq', freq('scaling_frequency_max_hertz', 'Maximum scaled CPU thread frequency in hertz.')],
];
const governorDesc = desc('node_cpu_scaling_governor', 'Current enabled CPU frequency governor.', 'gauge', ['cpu', 'governor']);

interface CpuFrequencies {
  readonly cpu: string;
  readonly hertz: Array<[MetricDesc, number]>;
  readonly governors: Array<[string, number]>;
}

export const cpufreqCollector: CollectorFactory = {
  name: 'cpufreq',
  defaultEnabled: true,
  create: ({ host, host: { paths }, log }) => ({
    async update(sink, signal) {
      const cpuDir = paths.sys('devices', 'system', 'cpu');
      const entries = await host.listDir(cpuDir).catch((err: unknown) => {
        if (isNotFound(err)) return [];
        throw err;
      });
      // node_exporter 1.12 skips offline CPUs (their files fail to read); older kernels lack the file.
      const offline = new Set(parseCpuList((await host.readTextIfExists(path.join(cpuDir, 'offline'), signal)) ?? ''));
      const online = cpuEntries(entries).filter((e) => !offline.has(Number(e.slice(3))));
      // Everything is read before anything is served: one bad file means no output, as in node_exporter.
      const cpus = (await Promise.all(online.map((e) => readCpu(host, path.join(cpuDir, e, 'cpufreq'), e.slice(3), signal)))).filter(
        (c): c is CpuFrequencies => c !== undefined,
      );
      // node_exporter serves nothing and succeeds here (virtual machines have no cpufreq).
      if (cpus.length === 0) log.debug('no cpufreq directories', { dir: cpuDir });
      for (const { cpu, hertz, governors } of cpus) {
        for (const [d, value] of hertz) sink.add(d, value, cpu);
        for (const [governor, value] of governors) sink.add(governorDesc, value, cpu, governor);
      }
    },
  }),
};

/** One CPU's frequencies, or undefined when it has no cpufreq directory. */
async function readCpu(host: HostFs, dir: string, cpu: string, signal: AbortSignal): Promise<CpuFrequencies | undefined> {
  if (!(await host.isDirectory(dir, signal))) return undefined;
  const read = (file: string): Promise<string | undefined> =>
    host.readText(path.join(dir, file), signal).catch((err: NodeJS.ErrnoException) => {
      // cpuinfo_cur_freq is readable by root only; drivers leave out files they do not support.
      if (isNotFound(err) || err.code === 'EACCES' || err.code === 'EPERM') return undefined;
      throw err;
    });
  const [texts, available, current] = await Promise.all([
    Promise.all(FREQUENCY_FILES.map(([file]) => read(file))),
    read('scaling_available_governors'),
    read('scaling_governor'),
  ]);
  const hertz: Array<[MetricDesc, number]> = [];
  FREQUENCY_FILES.forEach(([file, d], i) => {
    const text = texts[i];
    if (text !== undefined) hertz.push([d, parseKilohertz(text, path.join(dir, file))]);
  });
  const governors = available !== undefined && current?.trim() ? governorStates(available, current) : [];
  return { cpu, hertz, governors };
}
