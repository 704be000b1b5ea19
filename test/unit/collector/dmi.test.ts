import test from 'ava';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDmiCollector, dmiCollector, readDmiLabels } from '../../../src/collector/dmi.js';
import { DMI_INFO_HELP, DMI_LABELS, dmiLabels, dmiValue } from '../../../src/sysfs/dmi.js';
import { NODE_EXPORTER_BIN, requireBinary, startExporter } from '../../helpers/exporters.js';
import type { CollectorFactory } from '../../../src/collector/collector.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import type { MetricFamily } from '../../../src/exposition/model.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger, type Logger, silentLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { collect, fixture, testContext } from '../../helpers/collect.js';
import { goValidUtf8 } from '../../../src/gocompat/utf8.js';

/** A created dmi collector on `sysfs`, scraped as many times as the test likes. */
function scraper(factory: CollectorFactory, sysfs: string, log: Logger = silentLogger): () => Promise<MetricFamily[]> {
  const collector = factory.create(testContext({ paths: new HostPaths('/proc', sysfs), flags: parseFlags([], []), log }));
  const node = new NodeCollector(new Map([['dmi', collector]]), log);
  return () => node.collect(5000);
}

const sampleOf = (families: MetricFamily[], name: string) => families.find((f) => f.desc.name === name)?.samples[0];

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** The node_dmi_info lines (HELP, TYPE, series) of an exposition. */
function dmiLines(text: string): string[] {
  return text.split('\n').filter((l) => /^(# (HELP|TYPE) )?node_dmi_info\b/.test(l));
}

const HELP_LINE =
  "# HELP node_dmi_info A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.";

/** What node_exporter 1.5 serves for test/fixtures/dmi/full (captured with --path.sysfs). */
const FULL_SERIES =
  'node_dmi_info{bios_date="03/14/2023",bios_release="1.12",bios_vendor="Dell Inc.",bios_version="1.12.0",board_asset_tag="",' +
  'board_name="0X8DXD",board_serial="/7XK2Q73/CNWSC0033I00CQ/",board_vendor="Dell Inc.",board_version="A01",' +
  'chassis_asset_tag="IT-4711",chassis_serial="7XK2Q73",chassis_vendor="Dell Inc.",chassis_version="Rev \uFFFD 2",' +
  'product_family="OptiPlex",product_name="OptiPlex 7090",product_serial="7XK2Q73",product_sku="0A39",' +
  'product_uuid="4c4c4544-0058-4b10-8032-b7c04f513733",product_version="Version ' +
  'x'.repeat(120) +
  '",system_vendor="Dell Inc."} 1';

test('the help names all 20 labels in node_exporter order', (t) => {
  t.is(DMI_LABELS.length, 20);
  t.is(`# HELP node_dmi_info ${DMI_INFO_HELP}`, HELP_LINE);
});

test('dmiValue trims Go whitespace, and only that', (t) => {
  t.is(dmiValue(bytes('  OptiPlex 7090 \t\n')), 'OptiPlex 7090');
  t.is(dmiValue(bytes('\n')), '');
  t.is(dmiValue(bytes('\u00a0NBSP and NEL\u0085')), 'NBSP and NEL');
  // U+FEFF is not a space to Go (JavaScript's trim() would strip it).
  t.is(dmiValue(bytes('\ufeffBOM\n')), '\ufeffBOM');
});

test('dmiValue keeps the first 128 bytes only, as one read(2) of 128 bytes does', (t) => {
  t.is(dmiValue(bytes('a'.repeat(200))), 'a'.repeat(128));
  // A two-byte character cut in half at byte 128 becomes U+FFFD.
  t.is(dmiValue(bytes('a'.repeat(127), 'é')), 'a'.repeat(127) + '\uFFFD');
});

test('goValidUtf8 replaces each run of invalid bytes with one U+FFFD', (t) => {
  t.is(goValidUtf8(bytes('Rev ', [0xff, 0xfe], ' 2')), 'Rev \uFFFD 2');
  t.is(goValidUtf8(bytes('a', [0xe2, 0x82], 'b', [0x80], 'c')), 'a\uFFFDb\uFFFDc');
  // A valid U+FFFD next to an invalid byte stays, plus one for the run.
  t.is(goValidUtf8(bytes('\uFFFD', [0xc0])), '\uFFFD\uFFFD');
  // Overlong forms, surrogates and code points above U+10FFFF are invalid to Go.
  t.is(goValidUtf8(bytes([0xc0, 0xaf])), '\uFFFD');
  t.is(goValidUtf8(bytes([0xed, 0xa0, 0x80])), '\uFFFD');
  t.is(goValidUtf8(bytes([0xf4, 0x90, 0x80, 0x80])), '\uFFFD');
  t.is(goValidUtf8(bytes('ok ✓ 😀')), 'ok ✓ 😀');
});

test('dmiLabels renames sys_vendor and ignores files that are not attributes', (t) => {
  const labels = dmiLabels(
    new Map([
      ['sys_vendor', bytes('QEMU\n')],
      ['chassis_type', bytes('1\n')],
      ['modalias', bytes('dmi:bvnSeaBIOS:\n')],
    ]),
  );
  t.deepEqual([...labels], [['system_vendor', 'QEMU']]);
});

test('dmi collector serves what node_exporter serves for a full DMI table', async (t) => {
  const r = await collect(['dmi'], ['--path.sysfs', fixture('dmi', 'full')], [dmiCollector]);
  t.is(r.success['dmi'], 1);
  t.deepEqual(dmiLines(r.text), [HELP_LINE, '# TYPE node_dmi_info gauge', FULL_SERIES]);
});

test('attributes an older kernel does not have are left out, not empty', async (t) => {
  const r = await collect(['dmi'], ['--path.sysfs', fixture('dmi', 'older-kernel')], [dmiCollector]);
  t.is(r.success['dmi'], 1);
  t.deepEqual(dmiLines(r.text).slice(2), [
    'node_dmi_info{bios_date="04/01/2014",bios_vendor="SeaBIOS",bios_version="1.16.2-debian-1.16.2-1",chassis_vendor="QEMU",' +
      'chassis_version="pc-i440fx-8.2",product_name="Standard PC (i440FX + PIIX, 1996)",product_version="pc-i440fx-8.2",system_vendor="QEMU"} 1',
  ]);
});

test('the combined fixture tree has a DMI table', async (t) => {
  const r = await collect(['dmi'], ['--path.sysfs', fixture('tree', 'sys')], [dmiCollector]);
  t.is(r.success['dmi'], 1);
  t.regex(r.text, /node_dmi_info\{bios_date="10\/16\/2017",.*product_name="m5\.large",.*system_vendor="Amazon EC2"\} 1\n/);
});

test('no DMI folder (VMs without SMBIOS, ARM boards) or an empty one is no data: success 0, debug log only', async (t) => {
  const missing = await collect(['dmi'], ['--path.sysfs', fixture('does-not-exist')], [dmiCollector]);
  t.is(missing.success['dmi'], 0);
  t.deepEqual(dmiLines(missing.text), []);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data') && l.includes('collector=dmi')));
  t.false(missing.logs.some((l) => l.includes('level=ERROR')));

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dmi-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await mkdir(path.join(tmp, 'class', 'dmi', 'id'), { recursive: true });
  const empty = await collect(['dmi'], ['--path.sysfs', tmp], [dmiCollector]);
  t.is(empty.success['dmi'], 0);
});

test('files only root may read are left out; other read errors fail', async (t) => {
  const dir = fixture('dmi', 'full', 'class', 'dmi', 'id');
  const rootOnly = new Set(['board_serial', 'chassis_serial', 'product_serial', 'product_uuid']);
  const asUser = async (file: string) => {
    if (rootOnly.has(path.basename(file))) throw errno('EACCES');
    return bytes('v\n');
  };
  const labels = await readDmiLabels(dir, asUser);
  t.is(labels.size, 16);
  for (const l of ['board_serial', 'chassis_serial', 'product_serial', 'product_uuid']) t.false(labels.has(l));
  t.is(labels.get('product_sku'), 'v');

  const eperm = await readDmiLabels(dir, async (file) => {
    if (file.endsWith('product_uuid')) throw errno('EPERM');
    return bytes('v');
  });
  t.false(eperm.has('product_uuid'));

  await t.throwsAsync(
    readDmiLabels(dir, async (file) => {
      if (file.endsWith('bios_date')) throw errno('EIO');
      return bytes('v');
    }),
    { message: /EIO/ },
  );
});

test('a failed read gives success 0 with an error log, and is tried again at the next scrape', async (t) => {
  let failing = true;
  const factory = createDmiCollector(async (file) => {
    if (failing && file.endsWith('bios_vendor')) throw errno('EIO');
    return bytes(path.basename(file) + '\n');
  });
  const logs: string[] = [];
  const scrape = scraper(factory, fixture('dmi', 'older-kernel'), createLogger('debug', 'logfmt', (l) => logs.push(l)));

  t.is(sampleOf(await scrape(), 'node_scrape_collector_success')?.value, 0);
  t.true(logs.some((l) => l.includes('level=ERROR') && l.includes('collector failed') && l.includes('EIO')));
  failing = false;
  const second = await scrape();
  t.is(sampleOf(second, 'node_scrape_collector_success')?.value, 1);
  t.is(sampleOf(second, 'node_dmi_info')?.labels['system_vendor'], 'sys_vendor');
});

test('the table is read once: later scrapes serve the first read', async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dmi-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await cp(fixture('dmi', 'older-kernel'), tmp, { recursive: true });
  let reads = 0;
  const factory = createDmiCollector(async (file) => {
    reads++;
    return readFile(file);
  });
  const scrape = scraper(factory, tmp);
  const vendor = async () => sampleOf(await scrape(), 'node_dmi_info')?.labels['system_vendor'];
  t.is(await vendor(), 'QEMU');
  const firstReads = reads;
  await writeFile(path.join(tmp, 'class', 'dmi', 'id', 'sys_vendor'), 'Changed\n');
  t.is(await vendor(), 'QEMU');
  t.is(reads, firstReads);
});

for (const table of ['full', 'older-kernel']) {
  test(`node_exporter 1.5 gives the same node_dmi_info for the ${table} fixture`, async (t) => {
    if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
    const sysfs = fixture('dmi', table);
    const ne = await startExporter('node_exporter', ['--collector.disable-defaults', '--collector.dmi', `--path.sysfs=${sysfs}`]);
    t.teardown(() => ne.stop());
    const theirs = dmiLines(await ne.scrape());
    const ours = dmiLines((await collect(['dmi'], ['--path.sysfs', sysfs], [dmiCollector])).text);
    t.is(theirs.length, 3);
    t.deepEqual(ours, theirs);
  });
}
