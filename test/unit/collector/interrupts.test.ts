import test from 'ava';
import { interruptsCollector } from '../../../src/collector/interrupts.js';
import { parseInterrupts } from '../../../src/procfs/interrupts.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string, ...argv: string[]) =>
  collect(['interrupts'], ['--path.procfs', fixture('interrupts', scenario), ...argv], [interruptsCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_interrupts_total'));

test('parseInterrupts splits numbered IRQs into info and devices, named ones into info only', (t) => {
  const text =
    '           CPU0       CPU1       \n' +
    ' 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n' +
    ' 40:          0          0  IR-PCI-MSI 1048576-edge\n' +
    'LOC:     160285     160670   Local timer interrupts\n' +
    'ERR:          0\n' +
    'MIS:          0\n';
  t.deepEqual(parseInterrupts(text), [
    { name: '24', info: 'IO-APIC', devices: '5-edge ACPI:Ged', counts: [1, 0] },
    { name: '40', info: 'IR-PCI-MSI', devices: '1048576-edge', counts: [0, 0] },
    { name: 'LOC', info: 'Local timer interrupts', devices: '', counts: [160285, 160670] },
  ]);
});

test('parseInterrupts splits at the first colon, for arm64 lines where a count touches the name', (t) => {
  const text = '           CPU0       CPU1       \nIPI0:1234567890       2345       Rescheduling interrupts\n';
  t.deepEqual(parseInterrupts(text), [{ name: 'IPI0', info: 'Rescheduling interrupts', devices: '', counts: [1234567890, 2345] }]);
});

test('parseInterrupts rejects non-numeric counts, and files without a header or interrupt lines', (t) => {
  t.throws(() => parseInterrupts('  CPU0 CPU1\nLOC: 12 1x Local timer interrupts\n'), { message: /LOC CPU column 1: expected an unsigned integer, got "1x"/ });
  t.throws(() => parseInterrupts(''), { message: /no CPU header line/ });
  t.throws(() => parseInterrupts('  CPU0\nERR: 0\n'), { message: /no interrupt lines/ });
});

test('interrupts serves one counter per interrupt and CPU column, with node_exporter labels', async (t) => {
  const r = await scrape('x86');
  t.is(r.success['interrupts'], 1);
  const s = samples(r.text);
  t.is(s.length, 66, '33 interrupts (ERR and MIS skipped) on 2 CPUs');
  t.true(s.includes('node_interrupts_total{cpu="1",devices="4-edge ttyS0",info="IO-APIC",type="26"} 15'));
  t.true(s.includes('node_interrupts_total{cpu="1",devices="1-edge virtio1-req.0",info="PCI-MSIX-0000:00:02.0",type="36"} 48758'));
  t.true(s.includes('node_interrupts_total{cpu="0",devices="",info="Local timer interrupts",type="LOC"} 263663'));
  t.false(r.text.includes('type="ERR"'));
  t.regex(r.text, /# HELP node_interrupts_total Interrupt details\.\n# TYPE node_interrupts_total counter\n/);
});

test('interrupts on arm64 with an offline CPU: cpu is the column index', async (t) => {
  const r = await scrape('arm64');
  t.is(r.success['interrupts'], 1);
  const s = samples(r.text);
  t.is(s.length, 15);
  t.true(s.includes('node_interrupts_total{cpu="0",devices="",info="Rescheduling interrupts",type="IPI0"} 1.23456789e+09'));
  t.true(s.includes('node_interrupts_total{cpu="2",devices="30 Level arch_timer",info="GICv3",type="11"} 40001'));
  t.true(s.includes('node_interrupts_total{cpu="0",devices="524288 Edge eth0-rx-0",info="ITS-MSI",type="52"} 310'));
  t.false(r.text.includes('cpu="3"'));
});

test('name include/exclude match "name;info;devices"; include-zeros=false drops zero counts', async (t) => {
  const include = await scrape('x86', '--collector.interrupts.name-include=^LOC;');
  t.deepEqual(samples(include.text), [
    'node_interrupts_total{cpu="0",devices="",info="Local timer interrupts",type="LOC"} 263663',
    'node_interrupts_total{cpu="1",devices="",info="Local timer interrupts",type="LOC"} 296341',
  ]);
  const exclude = await scrape('x86', '--collector.interrupts.name-exclude=;PCI-MSIX');
  t.is(samples(exclude.text).length, 66 - 2 * 16);
  const nonZero = await scrape('arm64', '--collector.interrupts.include-zeros=false');
  t.is(samples(nonZero.text).length, 10);
  t.false(samples(nonZero.text).some((l) => l.endsWith(' 0')));
});

test('malformed interrupts give success 0 and no series; a missing file is "no data"', async (t) => {
  for (const scenario of ['non-numeric', 'header-only', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['interrupts'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('interrupts')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['interrupts'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});

test('interrupts is disabled by default, as in node_exporter', (t) => {
  t.false(interruptsCollector.defaultEnabled);
});
