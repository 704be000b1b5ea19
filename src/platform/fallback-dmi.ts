/**
 * dmi on macOS/Windows: node_dmi_info with node_exporter's labels, from systeminformation's
 * system(), bios(), baseboard() and chassis() (ioreg and system_profiler on macOS, CIM on
 * Windows), fetched once at start.
 */
import type { CollectorFactory } from '../collector/collector.js';
import { addDmiInfo, dmiInfo } from '../collector/dmi.js';
import { DMI_LABELS, type DmiLabels } from '../sysfs/dmi.js';
import { staticValue } from './refresher.js';
import type { BaseboardData, BiosData, ChassisData, FallbackDeps, SystemData } from './system-info.js';

export interface SystemInfoDmi {
  readonly system: SystemData;
  readonly bios: BiosData;
  readonly baseboard: BaseboardData;
  readonly chassis: ChassisData;
}

/** node_exporter's label → the systeminformation field that holds the same SMBIOS string. */
const SOURCES: Readonly<Record<string, (d: SystemInfoDmi) => string | null | undefined>> = {
  bios_date: (d) => d.bios.releaseDate,
  bios_release: (d) => d.bios.revision,
  bios_vendor: (d) => d.bios.vendor,
  bios_version: (d) => d.bios.version,
  board_asset_tag: (d) => d.baseboard.assetTag,
  board_name: (d) => d.baseboard.model,
  board_serial: (d) => d.baseboard.serial,
  board_vendor: (d) => d.baseboard.manufacturer,
  board_version: (d) => d.baseboard.version,
  chassis_asset_tag: (d) => d.chassis.assetTag,
  chassis_serial: (d) => d.chassis.serial,
  chassis_vendor: (d) => d.chassis.manufacturer,
  chassis_version: (d) => d.chassis.version,
  product_name: (d) => d.system.model,
  product_serial: (d) => d.system.serial,
  product_sku: (d) => d.system.sku,
  product_uuid: (d) => d.system.uuid,
  product_version: (d) => d.system.version,
  system_vendor: (d) => d.system.manufacturer,
  // product_family has no systeminformation field.
};

/**
 * The labels systeminformation has a value for. Its "unknown" is an empty string or "-"; those
 * labels are left out, as node_exporter leaves out attributes it cannot read.
 */
export function dmiLabelsFromSystemInformation(d: SystemInfoDmi): DmiLabels {
  const labels = new Map<string, string>();
  for (const label of DMI_LABELS) {
    const value = SOURCES[label]?.(d)?.trim();
    if (value !== undefined && value !== '' && value !== '-') labels.set(label, value);
  }
  return labels;
}

export function fallbackDmiCollector(deps: FallbackDeps): CollectorFactory {
  return {
    name: 'dmi',
    defaultEnabled: true,
    create: ({ log }) => {
      const info = staticValue(deps, log, 'systeminformation system()/bios()/baseboard()/chassis()', async () => {
        const [system, bios, baseboard, chassis] = await Promise.all([deps.si.system(), deps.si.bios(), deps.si.baseboard(), deps.si.chassis()]);
        return dmiInfo(dmiLabelsFromSystemInformation({ system, bios, baseboard, chassis }));
      });
      return {
        async update(sink) {
          addDmiInfo(sink, info.current);
        },
        close: () => info.close(),
      };
    },
  };
}
