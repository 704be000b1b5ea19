import { fields, parseUint } from './parse.js';
import { ParseError } from '../lib/parse-error.js';

/** One line of /proc/interrupts, labelled as node_exporter labels it. */
export interface Interrupt {
  /** The name before the colon: an IRQ number ("24") or a mnemonic ("NMI", "LOC"). */
  readonly name: string;
  /** Numbered IRQs: the controller column ("IO-APIC"); named ones: their description. */
  readonly info: string;
  /** Numbered IRQs: the rest of the line ("5-edge ACPI:Ged"); named ones: "". */
  readonly devices: string;
  /** One count per CPU column, in header order. */
  readonly counts: number[];
}

/**
 * /proc/interrupts: a header of one "CPUn" per online CPU, then "name: count... details" lines.
 * Lines with fewer counts than CPUs plus a detail (ERR, MIS) are skipped, as node_exporter does.
 * The line is split at its first colon because on aarch64 nothing separates "IPI0:" from the
 * first count. A repeated name keeps its last line.
 */
export function parseInterrupts(text: string): Interrupt[] {
  const [header, ...lines] = text.split('\n');
  const cpuCount = fields(header ?? '').length;
  if (cpuCount === 0) throw new ParseError('no CPU header line');
  const byName = new Map<string, Interrupt>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const parts = fields(line.slice(colon + 1));
    if (parts.length < cpuCount + 1) continue;
    const name = line.slice(0, colon).replace(/^ +/, '');
    const counts = parts.slice(0, cpuCount).map((v, i) => parseUint(v, `${name} CPU column ${i}`));
    const numbered = /^\d+$/.test(name);
    byName.set(name, {
      name,
      info: numbered ? (parts[cpuCount] as string) : parts.slice(cpuCount).join(' '),
      devices: numbered ? parts.slice(cpuCount + 1).join(' ') : '',
      counts,
    });
  }
  if (byName.size === 0) throw new ParseError('no interrupt lines');
  return [...byName.values()];
}
