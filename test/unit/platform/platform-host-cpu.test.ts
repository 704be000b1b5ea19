import test from 'ava';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { parseCpuinfo } from '../../../src/platform/cpuinfo.js';
import { createHostCpuCollector, hostCpuCollector, hostCpuFromSystemInformation } from '../../../src/platform/host-cpu.js';
import type { CpuData } from '../../../src/platform/system-info.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';
import { Harness, fakeDeps, fakeSi } from '../../helpers/platform.js';

const cpuinfoOf = (name: string) => readFile(fixture('host_cpu', name, 'cpuinfo'), 'utf8');

/** host_cpu as it runs on Linux, with a source that fails the test if systeminformation is called. */
const linuxHostCpu = createHostCpuCollector(fakeDeps({ platform: 'linux' }));

test('parseCpuinfo: model and counts of a 2-CPU VM (this test host)', async (t) => {
  t.deepEqual(parseCpuinfo(await cpuinfoOf('x86')), {
    vendor: 'AuthenticAMD',
    modelName: 'AMD EPYC',
    family: '25',
    model: '1',
    stepping: '1',
    logicalCpus: 2,
    physicalCores: 2,
    packages: 1,
  });
});

test('parseCpuinfo: hyper-threads share a core, sockets are counted once', async (t) => {
  const cpu = parseCpuinfo(await cpuinfoOf('x86-2socket'));
  t.is(cpu.logicalCpus, 8);
  t.is(cpu.physicalCores, 4);
  t.is(cpu.packages, 2);
  t.is(cpu.modelName, 'Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz');
  t.is(cpu.vendor, 'GenuineIntel');
});

test('parseCpuinfo: ARM has no vendor, family or topology lines; the board block is not a CPU', async (t) => {
  t.deepEqual(parseCpuinfo(await cpuinfoOf('arm64')), { vendor: '', modelName: '', family: '', model: '', stepping: '', logicalCpus: 4 });
  const v7 = parseCpuinfo(await cpuinfoOf('armv7'));
  t.is(v7.logicalCpus, 2);
  t.is(v7.modelName, 'ARMv7 Processor rev 4 (v7l)');
  t.is(v7.physicalCores, undefined);
});

test('parseCpuinfo rejects lines without a separator and files without CPUs', async (t) => {
  t.throws(() => parseCpuinfo('processor\t: 0\nvendor_id AuthenticAMD\n'), { message: /expected "key: value", got "vendor_id AuthenticAMD"/ });
  t.throws(() => parseCpuinfo(''), { message: /no "processor" entries/ });
  t.throws(() => parseCpuinfo('Hardware\t: BCM2835\n'), { message: /no "processor" entries/ });
});

test('host_cpu on Linux reads <procfs>/cpuinfo, calls no systeminformation', async (t) => {
  const r = await collect(['host_cpu'], ['--path.procfs', fixture('host_cpu', 'x86-2socket')], [linuxHostCpu]);
  t.is(r.success['host_cpu'], 1);
  t.true(
    r.text.includes(
      "# HELP sidecar_host_cpu_info A metric with a constant '1' value labeled by the host's CPU vendor, model_name, family, model and stepping.\n" +
        '# TYPE sidecar_host_cpu_info gauge\n' +
        'sidecar_host_cpu_info{family="6",model="85",model_name="Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",stepping="4",vendor="GenuineIntel"} 1\n',
    ),
  );
  t.is(valueOf(r.text, 'sidecar_host_cpu_logical_cpus'), 8);
  t.is(valueOf(r.text, 'sidecar_host_cpu_physical_cores'), 4);
  t.is(valueOf(r.text, 'sidecar_host_cpu_packages'), 2);
  t.regex(r.text, /# HELP sidecar_host_cpu_physical_cores Number of physical CPU cores of the host.\n# TYPE sidecar_host_cpu_physical_cores gauge\n/);
});

test('host_cpu on Linux leaves out the counts cpuinfo does not give', async (t) => {
  const r = await collect(['host_cpu'], ['--path.procfs', fixture('host_cpu', 'arm64')], [linuxHostCpu]);
  t.is(r.success['host_cpu'], 1);
  t.is(valueOf(r.text, 'sidecar_host_cpu_logical_cpus'), 4);
  t.false(r.text.includes('sidecar_host_cpu_physical_cores'));
  t.false(r.text.includes('sidecar_host_cpu_packages'));
});

test('host_cpu on Linux: malformed, empty or missing cpuinfo gives success 0, no exception', async (t) => {
  for (const tree of ['malformed', 'empty', 'does-not-exist']) {
    const r = await collect(['host_cpu'], ['--path.procfs', fixture('host_cpu', tree)], [linuxHostCpu]);
    t.is(r.success['host_cpu'], 0, tree);
    t.false(r.text.includes('sidecar_host_cpu_info{'), tree);
    t.true(
      r.logs.some((l) => l.includes('collector failed') && l.includes('host_cpu')),
      tree,
    );
  }
});

test('host_cpu on Linux reads cpuinfo once', async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'host-cpu-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await copyFile(fixture('host_cpu', 'x86', 'cpuinfo'), path.join(tmp, 'cpuinfo'));
  const h = new Harness(linuxHostCpu, [], new HostPaths(tmp));
  t.is(valueOf((await h.scrape()).text, 'sidecar_host_cpu_logical_cpus'), 2);
  await writeFile(path.join(tmp, 'cpuinfo'), await cpuinfoOf('x86-2socket'));
  t.is(valueOf((await h.scrape()).text, 'sidecar_host_cpu_logical_cpus'), 2);
});

const MAC_CPU: CpuData = {
  manufacturer: 'Apple',
  brand: 'M2',
  vendor: 'Apple',
  family: '-634136515',
  model: '',
  stepping: '2',
  revision: '',
  voltage: '',
  speed: 2.4,
  speedMin: 2.4,
  speedMax: 3.5,
  governor: '',
  cores: 8,
  physicalCores: 8,
  performanceCores: 4,
  efficiencyCores: 4,
  processors: 1,
  socket: 'SOC',
  flags: '',
  virtualization: true,
  cache: { l1d: 65536, l1i: 131072, l2: 4194304, l3: 0 },
};

test('hostCpuFromSystemInformation joins manufacturer and brand into the model name', (t) => {
  t.deepEqual(hostCpuFromSystemInformation(MAC_CPU), {
    vendor: 'Apple',
    modelName: 'Apple M2',
    family: '-634136515',
    model: '',
    stepping: '2',
    logicalCpus: 8,
    physicalCores: 8,
    packages: 1,
  });
});

test('host_cpu elsewhere calls cpu() once in the background; success 0 until it answers', async (t) => {
  let calls = 0;
  const factory = createHostCpuCollector(fakeDeps({ platform: 'darwin', si: fakeSi({ cpu: async () => (calls++, MAC_CPU) }) }));
  const h = new Harness(factory);
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => x.success === 1);
  await h.scrape();
  t.is(calls, 1);
  t.regex(s.text, /sidecar_host_cpu_info\{family="-634136515",model="",model_name="Apple M2",stepping="2",vendor="Apple"\} 1\n/);
  t.is(valueOf(s.text, 'sidecar_host_cpu_logical_cpus'), 8);
  t.is(valueOf(s.text, 'sidecar_host_cpu_packages'), 1);
});

test('the exported host_cpu is for this platform and enabled by default', (t) => {
  t.is(hostCpuCollector.name, 'host_cpu');
  t.true(hostCpuCollector.defaultEnabled);
});
