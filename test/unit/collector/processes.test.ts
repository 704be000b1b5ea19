import test from 'ava';
import { processesCollector } from '../../../src/collector/processes.js';
import { parsePidStat } from '../../../src/procfs/pid-stat.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['processes'], ['--path.procfs', fixture('processes', scenario)], [processesCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_processes_'));

const STAT_TAIL = '1 100 100 0 -1 4194560 1523 0 12 0 45 30 0 0 20 0 3 0 2710 23781376 2899 18446744073709551615 1 1 0 0 0 0 0 4096 17475 0 0 0 17 0 0 0 0 0 0';

test('parsePidStat reads state and num_threads after the last ")" of comm', (t) => {
  t.deepEqual(parsePidStat(`100 (my (odd) name) D ${STAT_TAIL}\n`), { state: 'D', numThreads: 3 });
  t.deepEqual(parsePidStat(`7 () I ${STAT_TAIL}`), { state: 'I', numThreads: 3 });
  // Only the fields up to num_threads are needed, so short lines of old kernels parse.
  t.deepEqual(parsePidStat('1 (init) S 0 1 1 0 -1 4194560 1523 0 12 0 45 30 0 0 20 0 1\n'), { state: 'S', numThreads: 1 });
});

test('parsePidStat rejects a missing comm, truncated lines and bad fields', (t) => {
  t.throws(() => parsePidStat('100 init S 1 2 3'), { message: /no "\(comm\)"/ });
  t.throws(() => parsePidStat('7 (cut) S 1 7 7 0 -1\n'), { message: /6 fields after comm, expected at least 18/ });
  t.throws(() => parsePidStat(`100 (x) SS ${STAT_TAIL}`), { message: /state: expected one letter, got "SS"/ });
  t.throws(() => parsePidStat(`100 (x) S ${STAT_TAIL.replace(' 20 0 3 ', ' 20 0 three ')}`), { message: /num_threads: expected an integer, got "three"/ });
  t.throws(() => parsePidStat(''), { message: /no "\(comm\)"/ });
});

test('processes counts pids, threads and states, skipping what vanished mid-read', async (t) => {
  const r = await scrape('mixed');
  t.is(r.success['processes'], 1);
  // pid 300 has no stat (exited): not counted. pid 400's task dir is gone: counted, no thread states.
  // pid 500's thread 501 is gone. pid 100's main thread takes the process state (S), not its task file's R.
  t.deepEqual(samples(r.text), [
    'node_processes_max_processes 4.194304e+06',
    'node_processes_max_threads 127573',
    'node_processes_pids 6',
    'node_processes_state{state="I"} 1',
    'node_processes_state{state="R"} 1',
    'node_processes_state{state="S"} 3',
    'node_processes_state{state="Z"} 1',
    'node_processes_threads 10',
    'node_processes_threads_state{thread_state="D"} 1',
    'node_processes_threads_state{thread_state="I"} 1',
    'node_processes_threads_state{thread_state="R"} 1',
    'node_processes_threads_state{thread_state="S"} 3',
    'node_processes_threads_state{thread_state="Z"} 1',
  ]);
  for (const [name, help] of [
    ['threads', 'Allocated threads in system'],
    ['max_threads', 'Limit of threads in the system'],
    ['threads_state', 'Number of threads in each state.'],
    ['state', 'Number of processes in each state.'],
    ['pids', 'Number of PIDs'],
    ['max_processes', 'Number of max PIDs limit'],
  ]) {
    t.true(r.text.includes(`# HELP node_processes_${name} ${help}\n# TYPE node_processes_${name} gauge\n`), name);
  }
  t.true(r.logs.every((l) => !l.includes('collector failed')));
});

test('processes reads the short stat lines of old kernels', async (t) => {
  const r = await scrape('old-kernel');
  t.is(r.success['processes'], 1);
  t.true(samples(r.text).includes('node_processes_pids 1'));
  t.true(samples(r.text).includes('node_processes_threads_state{thread_state="S"} 1'));
});

test('a truncated pid stat fails the scrape; missing limits are "no data"', async (t) => {
  const bad = await scrape('truncated-stat');
  t.is(bad.success['processes'], 0);
  t.deepEqual(samples(bad.text), []);
  t.true(bad.logs.some((l) => l.includes('collector failed') && l.includes('processes')));
  const noLimits = await scrape('no-limits');
  t.is(noLimits.success['processes'], 0);
  t.deepEqual(samples(noLimits.text), ['node_processes_threads 1'], 'as node_exporter, threads is sent before the limit is read');
  t.true(noLimits.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
  const missing = await scrape('does-not-exist');
  t.is(missing.success['processes'], 0);
});

test('processes is disabled by default and works on the live /proc', async (t) => {
  t.false(processesCollector.defaultEnabled);
  const r = await collect(['processes'], [], [processesCollector]);
  t.is(r.success['processes'], 1);
  const pids = Number(samples(r.text).find((l) => l.startsWith('node_processes_pids '))?.split(' ')[1]);
  t.true(pids >= 1);
});
