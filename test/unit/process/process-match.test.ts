/** process-exporter's matching rules and name templates (src/process/match.ts). */
import test from 'ava';
import { parseConfig } from '../../../src/config/load.js';
import { formatGoUtcTime, goBase, ProcessMatcher, type ProcessAttributes } from '../../../src/process/match.js';
import { UserRegex } from '../../../src/gocompat/user-regex.js';

function matcher(yaml: string): ProcessMatcher {
  return new ProcessMatcher(parseConfig(yaml, 'test.yml').process_names);
}

const proc = (p: Partial<ProcessAttributes> & { comm: string }): ProcessAttributes => ({
  pid: 4242,
  cmdline: [p.comm],
  startTimeSeconds: 1_700_000_000.25,
  ...p,
});

test('no rules: grouped by comm, but only processes with a command line (not kernel threads)', (t) => {
  const m = new ProcessMatcher([]);
  t.is(m.match(proc({ comm: 'nginx', cmdline: ['nginx: worker process'] })), 'nginx');
  t.is(m.match(proc({ comm: 'kworker/0:1-events', cmdline: [] })), undefined);
  t.deepEqual(m.needs, { username: false, cgroups: false });
});

test('comm: any entry of the list matches, exactly (comm is not a pattern)', (t) => {
  const m = matcher('process_names:\n  - comm: [bash, nginx]\n');
  t.is(m.match(proc({ comm: 'nginx', cmdline: ['/usr/sbin/nginx'] })), 'nginx');
  t.is(m.match(proc({ comm: 'bash', cmdline: ['-bash'] })), '-bash');
  t.is(m.match(proc({ comm: 'nginx2' })), undefined);
  t.is(m.match(proc({ comm: 'ngin' })), undefined);
});

test('exe: argv[0] basename, unless the entry has a slash; the default name is {{.ExeBase}}', (t) => {
  const m = matcher('process_names:\n  - exe: [postgres, /usr/local/bin/prometheus]\n');
  t.is(m.match(proc({ comm: 'postgres', cmdline: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/data'] })), 'postgres');
  t.is(m.match(proc({ comm: 'postgres', cmdline: ['postgres'] })), 'postgres');
  t.is(m.match(proc({ comm: 'prometheus', cmdline: ['/usr/local/bin/prometheus', '--config.file=x'] })), 'prometheus');
  // With a slash, argv[0] must be that path exactly.
  t.is(m.match(proc({ comm: 'prometheus', cmdline: ['/usr/bin/prometheus'] })), undefined);
  t.is(m.match(proc({ comm: 'prometheus', cmdline: ['prometheus'] })), undefined);
  // exe looks at argv[0], not comm; no argv, no match.
  t.is(m.match(proc({ comm: 'postgres', cmdline: ['/usr/bin/pg_ctl'] })), undefined);
  t.is(m.match(proc({ comm: 'postgres', cmdline: [] })), undefined);
});

test('cmdline: every regex must match argv joined by spaces; named groups feed {{.Matches.x}}', (t) => {
  const m = matcher(`
process_names:
  - name: "{{.Matches.name}}-{{.Matches.port}}"
    cmdline:
      - 'app=(?P<name>\\w+)'
      - '--port (?P<port>\\d+)'
`);
  t.is(m.match(proc({ comm: 'java', cmdline: ['java', '-Dapp=billing', '--port', '8080'] })), 'billing-8080');
  // Only one of the two regexes matches: no match.
  t.is(m.match(proc({ comm: 'java', cmdline: ['java', '-Dapp=billing'] })), undefined);
  // The regexes are not anchored.
  t.is(m.match(proc({ comm: 'x', cmdline: ['sh', '-c', 'run app=web --port 1'] })), 'web-1');
});

test('a named group that did not take part in the match is empty', (t) => {
  const m = matcher(`
process_names:
  - name: "w{{.Matches.n}}"
    cmdline: ['worker(?:-(?P<n>\\d+))?']
`);
  t.is(m.match(proc({ comm: 'w', cmdline: ['worker-3'] })), 'w3');
  t.is(m.match(proc({ comm: 'w', cmdline: ['worker'] })), 'w');
});

test('selectors of one rule are ANDed; the first rule that matches wins', (t) => {
  const m = matcher(`
process_names:
  - name: admin
    comm: [python3]
    cmdline: ['manage\\.py']
  - name: python
    exe: [python3]
  - name: catch-all
    cmdline: ['.+']
`);
  t.is(m.match(proc({ comm: 'python3', cmdline: ['/usr/bin/python3', 'manage.py', 'migrate'] })), 'admin');
  t.is(m.match(proc({ comm: 'python3', cmdline: ['/usr/bin/python3', 'app.py'] })), 'python');
  // comm matches the first rule but cmdline does not; exe does not match the second either.
  t.is(m.match(proc({ comm: 'python3', cmdline: ['/opt/py/bin/py', 'manage.sh'] })), 'catch-all');
  t.is(m.match(proc({ comm: 'kthreadd', cmdline: [] })), undefined);
});

test('template fields are formatted as process-exporter (Go text/template) prints them', (t) => {
  const m = matcher(`
process_names:
  - name: "{{.Comm}}|{{.ExeBase}}|{{.ExeFull}}|{{.Username}}|{{.PID}}|{{.StartTime}}|{{.Cgroups}}"
    comm: [nginx, kthreadd]
`);
  t.deepEqual(m.needs, { username: true, cgroups: true });
  const p = proc({
    comm: 'nginx',
    cmdline: ['/usr/sbin/nginx', '-g', 'daemon off;'],
    username: 'www-data',
    cgroups: ['/system.slice/nginx.service', '/'],
  });
  t.is(m.match(p), 'nginx|nginx|/usr/sbin/nginx|www-data|4242|2023-11-14 22:13:20.25 +0000 UTC|[/system.slice/nginx.service /]');
  // No argv: both exe names are comm.
  t.is(m.match(proc({ comm: 'kthreadd', cmdline: [], startTimeSeconds: 1_700_000_000, cgroups: [] })), 'kthreadd|kthreadd|kthreadd||4242|2023-11-14 22:13:20 +0000 UTC|[]');
});

test('goBase follows Go filepath.Base', (t) => {
  t.is(goBase('/usr/bin/python3'), 'python3');
  t.is(goBase('python3'), 'python3');
  t.is(goBase('/usr/bin/'), 'bin');
  t.is(goBase('/'), '/');
  t.is(goBase(''), '.');
  t.is(goBase('nginx: master process /usr/sbin/nginx'), 'nginx');
});

test('formatGoUtcTime writes time.Time.String() of a UTC time, fraction without trailing zeros', (t) => {
  t.is(formatGoUtcTime(0), '1970-01-01 00:00:00 +0000 UTC');
  t.is(formatGoUtcTime(1_700_000_000.5), '2023-11-14 22:13:20.5 +0000 UTC');
  t.is(formatGoUtcTime(1_700_000_000.01), '2023-11-14 22:13:20.01 +0000 UTC');
});

test('a rule\'s regex is matched statelessly', (t) => {
  const m = new ProcessMatcher([{ name: '{{.Comm}}', cmdline: [UserRegex.compile('x')] }]);
  // A stateful (global, lastIndex) regex would alternate match / no match on the same string.
  t.is(m.match(proc({ comm: 'a', cmdline: ['x'] })), 'a');
  t.is(m.match(proc({ comm: 'a', cmdline: ['x'] })), 'a');
});
