/**
 * host_cpu: the host's CPU model and core counts, gathered once. This exporter's own metric
 * (node_exporter's node_cpu_info is per logical CPU and behind --collector.cpu.info). On Linux it
 * reads <procfs>/cpuinfo, which starts no process; elsewhere systeminformation's cpu() (sysctl on
 * macOS, CIM on Windows), called once at start in the background.
 */
import type { CollectorFactory } from '../collector/collector.js';
import type { MetricSink } from '../collector/sink.js';
import { desc } from '../exposition/model.js';
import { type HostCpu, parseCpuinfo } from './cpuinfo.js';
import { staticValue } from './refresher.js';
import { type CpuData, type FallbackDeps, defaultFallbackDeps } from './system-info.js';

const cpuInfo = desc(
  'sidecar_host_cpu_info',
  "A metric with a constant '1' value labeled by the host's CPU vendor, model_name, family, model and stepping.",
  'gauge',
  ['vendor', 'model_name', 'family', 'model', 'stepping'],
);
const logicalCpus = desc('sidecar_host_cpu_logical_cpus', 'Number of logical CPUs (hardware threads) of the host.', 'gauge');
const physicalCores = desc('sidecar_host_cpu_physical_cores', 'Number of physical CPU cores of the host.', 'gauge');
const packages = desc('sidecar_host_cpu_packages', 'Number of CPU packages (sockets) of the host.', 'gauge');

/** systeminformation's cpu() as a HostCpu; its model name comes split in manufacturer and brand. */
export function hostCpuFromSystemInformation(cpu: CpuData): HostCpu {
  return {
    vendor: cpu.vendor,
    modelName: [cpu.manufacturer, cpu.brand].filter((s) => s !== '').join(' '),
    family: cpu.family,
    model: cpu.model,
    stepping: cpu.stepping,
    logicalCpus: cpu.cores,
    physicalCores: cpu.physicalCores,
    packages: cpu.processors,
  };
}

function addHostCpu(sink: MetricSink, cpu: HostCpu): void {
  sink.add(cpuInfo, 1, cpu.vendor, cpu.modelName, cpu.family, cpu.model, cpu.stepping);
  sink.add(logicalCpus, cpu.logicalCpus);
  if (cpu.physicalCores !== undefined) sink.add(physicalCores, cpu.physicalCores);
  if (cpu.packages !== undefined) sink.add(packages, cpu.packages);
}

export function createHostCpuCollector(deps: FallbackDeps): CollectorFactory {
  return {
    name: 'host_cpu',
    defaultEnabled: true,
    create: ({ host, host: { paths }, log }) => {
      if (deps.platform !== 'linux') {
        const cpu = staticValue(deps, log, 'systeminformation cpu()', async () => hostCpuFromSystemInformation(await deps.si.cpu()));
        return { update: async (sink) => addHostCpu(sink, cpu.current), close: () => cpu.close() };
      }
      // Read at the first scrape and kept; a failed read is tried again at the next.
      let cpu: Promise<HostCpu> | undefined;
      return {
        async update(sink, signal) {
          cpu ??= host.parseFile(paths.proc('cpuinfo'), parseCpuinfo, signal).catch((err: unknown) => {
            cpu = undefined;
            throw err;
          });
          addHostCpu(sink, await cpu);
        },
      };
    },
  };
}

export const hostCpuCollector: CollectorFactory = createHostCpuCollector(defaultFallbackDeps());
