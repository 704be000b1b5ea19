import { fields } from '../procfs/parse.js';

/**
 * The clocksource device directories among the entries of /sys/devices/system/clocksource,
 * in the order node_exporter numbers them: its glob `clocksource[0-9]*`, sorted bytewise.
 */
export function clocksourceDevices(entries: readonly string[]): string[] {
  return entries.filter((name) => /^clocksource[0-9]/.test(name)).sort();
}

/** available_clocksource: names separated by spaces, e.g. "tsc hpet acpi_pm \n". */
export function parseAvailableClocksources(text: string): string[] {
  return fields(text);
}

/** current_clocksource: one name, e.g. "tsc\n". */
export function parseCurrentClocksource(text: string): string {
  return text.trim();
}
