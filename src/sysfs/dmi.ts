/**
 * /sys/class/dmi/id/*: the firmware's SMBIOS strings, one attribute per file, and how
 * node_exporter's dmi collector (through prometheus/procfs' DMIClass) turns them into labels.
 */
import { goValidUtf8 } from '../gocompat/utf8.js';

/** node_exporter's label for each attribute file, in label order; only sys_vendor is renamed. */
export const DMI_LABEL_FILES: ReadonlyArray<readonly [label: string, file: string]> = [
  ['bios_date', 'bios_date'],
  ['bios_release', 'bios_release'],
  ['bios_vendor', 'bios_vendor'],
  ['bios_version', 'bios_version'],
  ['board_asset_tag', 'board_asset_tag'],
  ['board_name', 'board_name'],
  ['board_serial', 'board_serial'],
  ['board_vendor', 'board_vendor'],
  ['board_version', 'board_version'],
  ['chassis_asset_tag', 'chassis_asset_tag'],
  ['chassis_serial', 'chassis_serial'],
  ['chassis_vendor', 'chassis_vendor'],
  ['chassis_version', 'chassis_version'],
  ['product_family', 'product_family'],
  ['product_name', 'product_name'],
  ['product_serial', 'product_serial'],
  ['product_sku', 'product_sku'],
  ['product_uuid', 'product_uuid'],
  ['product_version', 'product_version'],
  ['system_vendor', 'sys_vendor'],
];

export const DMI_LABELS: readonly string[] = DMI_LABEL_FILES.map(([label]) => label);

export const DMI_INFO_HELP =
  "A metric with a constant '1' value labeled by " + DMI_LABELS.join(', ') + ' if provided by DMI.';

/** procfs' SysReadFile makes one read(2) of this many bytes: longer values are cut. */
export const DMI_READ_BYTES = 128;

/**
 * Label name → value for the attributes that could be read. An attribute that is missing or
 * unreadable (serials and product_uuid are root-only) has no label at all; an empty file gives
 * an empty value. Both as node_exporter does.
 */
export type DmiLabels = ReadonlyMap<string, string>;

/** One attribute's value: its first read's bytes, trimmed as Go's bytes.TrimSpace, then Go's strings.ToValidUTF8. */
export function dmiValue(bytes: Uint8Array): string {
  return trimGoSpace(goValidUtf8(bytes.subarray(0, DMI_READ_BYTES)));
}

/** Builds the label map from file name → bytes; files that are not DMI attributes are ignored. */
export function dmiLabels(files: ReadonlyMap<string, Uint8Array>): DmiLabels {
  const labels = new Map<string, string>();
  for (const [label, file] of DMI_LABEL_FILES) {
    const bytes = files.get(file);
    if (bytes !== undefined) labels.set(label, dmiValue(bytes));
  }
  return labels;
}

// unicode.IsSpace: ASCII whitespace, NEL, NBSP and the Z categories. JavaScript's trim() differs
// (it strips U+FEFF and keeps U+0085), so the set is spelt out.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

function trimGoSpace(text: string): string {
  return text.replace(GO_TRIM, '');
}

