/**
 * /proc/cpuinfo, reduced to the host's CPU model and counts (the host_cpu collector on Linux).
 * The file is one block of "key<TAB>: value" lines per logical CPU, blank-line separated; on
 * 32-bit ARM a last block without `processor` describes the board.
 */
import { ParseError } from '../lib/parse-error.js';


/** The CPU model and counts, from whichever source the platform has. */
export interface HostCpu {
  readonly vendor: string;
  readonly modelName: string;
  readonly family: string;
  readonly model: string;
  readonly stepping: string;
  readonly logicalCpus: number;
  /** Undefined where the source does not say (e.g. cpuinfo on ARM has no core ids). */
  readonly physicalCores?: number;
  readonly packages?: number;
}

export function parseCpuinfoBlocks(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let block: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      block = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) throw new ParseError(`expected "key: value", got ${JSON.stringify(line.slice(0, 40))}`);
    if (!block) blocks.push((block = new Map()));
    block.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return blocks;
}

export function parseCpuinfo(text: string): HostCpu {
  const cpus = parseCpuinfoBlocks(text).filter((b) => b.has('processor'));
  const first = cpus[0];
  if (!first) throw new ParseError('no "processor" entries');
  const everyHas = (key: string) => cpus.every((c) => c.has(key));
  const distinct = (...keys: string[]) => new Set(cpus.map((c) => keys.map((k) => c.get(k)).join('/'))).size;
  const topology = everyHas('physical id');
  return {
    vendor: first.get('vendor_id') ?? '',
    modelName: first.get('model name') ?? '',
    family: first.get('cpu family') ?? '',
    model: first.get('model') ?? '',
    stepping: first.get('stepping') ?? '',
    logicalCpus: cpus.length,
    ...(topology && everyHas('core id') ? { physicalCores: distinct('physical id', 'core id') } : {}),
    ...(topology ? { packages: distinct('physical id') } : {}),
  };
}
