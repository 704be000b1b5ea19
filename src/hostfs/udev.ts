/**
 * udev's database files (/run/udev/data/b<major>:<minor> for block devices), written by
 * systemd-udevd: one record per line, a type letter and a colon first. Only `E:KEY=VALUE`
 * lines, the device's properties (udevadm info --query=property), are read.
 */
import path from 'node:path';

/** The device's properties; a key given twice keeps its last value, as udevd's own reader does. */
export function parseUdevProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    // Values are kept verbatim: spaces and further '=' belong to the value.
    if (eq !== -1) properties.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return properties;
}

/** The database file of block device major:minor under --path.udev.data. */
export function udevBlockDeviceFile(udevDataDir: string, major: number, minor: number): string {
  return path.join(udevDataDir, `b${major}:${minor}`);
}
