/** /sys/class/thermal: thermal zones and cooling devices (Documentation/driver-api/thermal/sysfs-api.rst). */
import { parseInt10 } from '../procfs/parse.js';

/** The thermal_zoneN entries, as node_exporter's glob `thermal_zone[0-9]*` finds them, sorted. */
export function thermalZoneEntries(entries: readonly string[]): string[] {
  return entries.filter((e) => /^thermal_zone[0-9]/.test(e)).sort();
}

/** The cooling_deviceN entries (glob `cooling_device[0-9]*`), sorted. */
export function coolingDeviceEntries(entries: readonly string[]): string[] {
  return entries.filter((e) => /^cooling_device[0-9]/.test(e)).sort();
}

/** A zone's `temp`, in millidegrees Celsius (may be negative), as degrees. */
export function parseZoneTemp(text: string): number {
  return parseInt10(text.trim(), 'temp') / 1000.0;
}

/** A cooling device's `cur_state` or `max_state`; -1 occurs (intel_powerclamp when idle). */
export function parseCoolingState(text: string, what: string): number {
  return parseInt10(text.trim(), what);
}
