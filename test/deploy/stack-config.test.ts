/**
 * The Compose stack's files, checked with the real tools (no Docker engine needed):
 * docker-compose validates compose.yml, promtool checks prometheus.yml, the alert rules and
 * their unit tests, amtool checks alertmanager.yml, and every PromQL expression of the Grafana
 * dashboards is parsed by promtool (written into a throw-away file as recording rules). On top,
 * the files are checked against each other: scrape targets are Compose services, the dashboards
 * use the provisioned data source and only metric names that exist, sidecar.yml is valid for the
 * exporter and its rules match the server image's command line.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { NODE_EXPORTER_BIN, PROMTOOL_BIN, REPO_ROOT, freePort, requireBinary, runWithInput, startExporter } from '../helpers/exporters.js';

const DOCKER_COMPOSE_BIN = process.env['DOCKER_COMPOSE_BIN'] ?? '/usr/bin/docker-compose';
const AMTOOL_BIN = process.env['AMTOOL_BIN'] ?? '/usr/bin/amtool';

const repo = (...parts: string[]): string => path.join(REPO_ROOT, ...parts);
const readYaml = (file: string): any => parseYaml(readFileSync(repo(file), 'utf8'));
const filesIn = (dir: string, suffix: string): string[] =>
  readdirSync(repo(dir))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => repo(dir, f));

async function run(file: string, args: readonly string[]) {
  const r = await runWithInput(file, args, '', 60_000);
  return { ...r, output: `${r.stdout}${r.stderr}` };
}

function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-config-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

// ---- compose.yml ----

const COMPOSE_SERVICES = ['pause', 'server', 'sidecar', 'prometheus', 'alertmanager', 'grafana'];

test('docker-compose accepts compose.yml, alone and with compose.host.yml', async (t) => {
  if (!requireBinary(t, DOCKER_COMPOSE_BIN, 'docker-compose')) return;
  const alone = await run(DOCKER_COMPOSE_BIN, ['-f', repo('compose.yml'), 'config', '-q']);
  t.is(alone.code, 0, alone.output);
  const host = await run(DOCKER_COMPOSE_BIN, ['-f', repo('compose.yml'), '-f', repo('compose.host.yml'), 'config']);
  t.is(host.code, 0, host.output);
  const merged = parseYaml(host.stdout);
  t.true(merged.services.sidecar.command.includes('--path.procfs=/host/proc'));
  t.true(merged.services.sidecar.volumes.some((v: string) => v.startsWith('/proc:/host/proc:ro')));
  t.is(merged.services.sidecar.pid, 'service:pause', 'the override keeps the shared PID namespace');
});

test('docker-compose rejects a compose file with a mistake (the check above can fail)', async (t) => {
  if (!requireBinary(t, DOCKER_COMPOSE_BIN, 'docker-compose')) return;
  await withTempDir(async (dir) => {
    const broken = readYaml('compose.yml');
    broken.services.sidecar.depends_on.server.condition = 'service_happy';
    writeFileSync(path.join(dir, 'compose.yml'), stringifyYaml(broken));
    const r = await run(DOCKER_COMPOSE_BIN, ['-f', path.join(dir, 'compose.yml'), 'config', '-q']);
    t.not(r.code, 0);
    t.regex(r.output, /service_happy|condition/);
  });
});

test('compose.yml: the sidecar shape, pinned images, health checks, named volumes, loopback ports', (t) => {
  const compose = readYaml('compose.yml');
  const services = compose.services as Record<string, any>;
  t.deepEqual(Object.keys(services).sort(), [...COMPOSE_SERVICES].sort());

  // The pod shape: server and sidecar join the PID namespace of pause, which does nothing, so
  // neither takes the other down when it exits.
  const pause = services['pause'];
  t.deepEqual(pause.entrypoint, ['catatonit', '-P']);
  t.is(pause.image, services['sidecar'].image, 'pause runs from the sidecar image (catatonit is in it)');
  t.is(pause.pid, undefined);
  t.is(services['server'].pid, 'service:pause');
  const sidecar = services['sidecar'];
  t.is(sidecar.pid, 'service:pause');
  t.true(sidecar.volumes.includes('./sidecar.yml:/etc/sidecar-exporter/config.yml:ro'));
  t.true(sidecar.command.includes('--config.file=/etc/sidecar-exporter/config.yml'));
  t.is(sidecar.depends_on.server.condition, 'service_healthy');

  const prometheus = services['prometheus'];
  t.true(prometheus.volumes.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  t.true(prometheus.volumes.includes('./rules:/etc/prometheus/rules:ro'));
  t.true(prometheus.volumes.some((v: string) => v.startsWith('prometheus-data:')));
  t.true(services['alertmanager'].volumes.includes('./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro'));
  const grafana = services['grafana'];
  t.true(grafana.volumes.includes('./grafana/provisioning:/etc/grafana/provisioning:ro'));
  t.true(grafana.volumes.includes('./grafana/dashboards:/etc/grafana/dashboards:ro'));
  t.true(grafana.volumes.some((v: string) => v.startsWith('grafana-data:')));
  t.deepEqual(Object.keys(compose.volumes).sort(), ['alertmanager-data', 'grafana-data', 'prometheus-data']);

  for (const [name, svc] of Object.entries(services)) {
    if (svc.image && !svc.build) t.regex(svc.image, /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name}: pin the image to a version`);
    // Built services carry the HEALTHCHECK of their Dockerfile.
    const dockerfile = svc.build ? readFileSync(repo(svc.build.context, svc.build.dockerfile ?? 'Dockerfile'), 'utf8') : '';
    // pause serves nothing to check: it disables the image's exporter health check.
    if (name === 'pause') t.true(svc.healthcheck?.disable);
    else t.true(Boolean(svc.healthcheck?.test) || /^HEALTHCHECK /m.test(dockerfile), `${name}: needs a health check`);
    for (const port of svc.ports ?? []) t.regex(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: publish ${port} on loopback only`);
    for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {}) as [string, { condition: string }][]) {
      t.is(condition, dep === 'pause' ? 'service_started' : 'service_healthy', `${name} waits for ${dep}`);
    }
  }
  for (const [dependent, dependency] of [['prometheus', 'sidecar'], ['prometheus', 'alertmanager'], ['grafana', 'prometheus']] as const) {
    t.truthy(services[dependent].depends_on?.[dependency], `${dependent} waits for ${dependency}`);
  }
});

test('Dockerfiles: multi-stage on pinned Node images, slim runtime with production dependencies, ping, non-root, HEALTHCHECK', (t) => {
  const exporter = readFileSync(repo('Dockerfile'), 'utf8');
  const server = readFileSync(repo('loadtest/server/Dockerfile'), 'utf8');
  for (const [name, text] of [['Dockerfile', exporter], ['loadtest/server/Dockerfile', server]] as const) {
    t.regex(text, /^ARG NODE_VERSION=\d+\.\d+\.\d+$/m, `${name}: pinned Node version`);
    t.regex(text, /^FROM node:\$\{NODE_VERSION\}-bookworm AS build$/m, `${name}: builds on the full image`);
    const stages = text.split(/^FROM /m).slice(1);
    t.is(stages.length, 2, `${name}: two stages`);
    const runtime = stages[1] as string;
    t.regex(runtime, /^node:\$\{NODE_VERSION\}-bookworm-slim/, `${name}: runs on the slim image`);
    t.regex(runtime, /^USER node$/m, `${name}: runs as the unprivileged node user`);
    t.regex(runtime, /^HEALTHCHECK /m, `${name}: has a HEALTHCHECK`);
    t.regex(text, /npm prune --omit=dev/, `${name}: only production dependencies reach the runtime image`);
    t.notRegex(runtime, /COPY --from=build \/app\/src /, `${name}: no TypeScript sources in the runtime image`);
  }
  t.regex(exporter, /apt-get install -y --no-install-recommends iputils-ping catatonit/);
  // "+p": ping raises the capability itself; "+ep" would stop it from starting without NET_RAW.
  t.regex(exporter, /setcap cap_net_raw\+p /);
  // ping depends on libcap2-bin (setcap): purging that removes ping too.
  t.notRegex(exporter, /purge[^\n]*libcap2-bin/);
  t.regex(readFileSync(repo('.dockerignore'), 'utf8'), /^node_modules$/m);
});

// ---- prometheus.yml and the rules ----

test('promtool check config accepts prometheus.yml and loads every rules/*.rules.yml', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const r = await run(PROMTOOL_BIN, ['check', 'config', repo('prometheus.yml')]);
  t.is(r.code, 0, r.output);
  const ruleFiles = filesIn('rules', '.rules.yml');
  t.true(ruleFiles.length >= 5);
  t.true(r.output.includes(`SUCCESS: ${ruleFiles.length} rule files found`), r.output);
  for (const f of ruleFiles) t.true(r.output.includes(`Checking ${repo('rules', path.basename(f))}`) || r.output.includes(`rules/${path.basename(f)}`), `${f} is loaded`);
});

test('prometheus.yml: 1 s sidecar scrape, server job, /probe jobs relabelled to the sidecar with modules from sidecar.yml', (t) => {
  const prom = readYaml('prometheus.yml');
  const jobs = new Map<string, any>(prom.scrape_configs.map((j: any) => [j.job_name, j]));
  t.is(jobs.get('sidecar').scrape_interval, '1s');
  t.deepEqual(jobs.get('sidecar').static_configs[0].targets, ['sidecar:9100']);
  t.deepEqual(jobs.get('server').static_configs[0].targets, ['server:8080']);
  t.deepEqual(prom.alerting.alertmanagers[0].static_configs[0].targets, ['alertmanager:9093']);
  t.deepEqual(prom.rule_files, ['rules/*.rules.yml']);

  const modules = Object.keys(parseConfig(readFileSync(repo('sidecar.yml'), 'utf8'), 'sidecar.yml').modules);
  const probeJobs = [...jobs.values()].filter((j) => j.metrics_path === '/probe');
  t.is(probeJobs.length, 2);
  for (const job of probeJobs) {
    t.true(modules.includes(job.params.module[0]), `${job.job_name}: module ${job.params.module[0]} is in sidecar.yml`);
    const relabel = job.relabel_configs as any[];
    t.like(relabel[0], { source_labels: ['__address__'], target_label: '__param_target' });
    t.like(relabel[1], { source_labels: ['__param_target'], target_label: 'instance' });
    t.like(relabel.at(-1), { target_label: '__address__', replacement: 'sidecar:9100' });
  }
  // Every scraped address is a Compose service (or Prometheus itself).
  for (const job of jobs.values()) {
    if (job.metrics_path === '/probe') continue;
    for (const target of job.static_configs.flatMap((s: any) => s.targets) as string[]) {
      const host = target.split(':')[0] as string;
      t.true(COMPOSE_SERVICES.includes(host) || host === 'localhost', `${job.job_name}: ${target}`);
    }
  }
});

test('promtool check rules accepts every rules/*.rules.yml', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const r = await run(PROMTOOL_BIN, ['check', 'rules', ...filesIn('rules', '.rules.yml')]);
  t.is(r.code, 0, r.output);
});

interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const alertRules = (): AlertRule[] =>
  filesIn('rules', '.rules.yml').flatMap((f) => (parseYaml(readFileSync(f, 'utf8')).groups as { rules: AlertRule[] }[]).flatMap((g) => g.rules.filter((r) => r.alert)));

test('every alert has a severity, a summary and a description, and a unit test in which it fires', (t) => {
  const rules = alertRules();
  const names = rules.map((r) => r.alert);
  for (const wanted of ['TargetDown', 'UptimeCheckFailureRatioHigh', 'UptimeCheckerStalled', 'HostHighCpu', 'HostMemoryPressure', 'FilesystemPredictedFull', 'ProbeFailing']) {
    t.true(names.includes(wanted), `rule ${wanted}`);
  }
  t.regex(rules.find((r) => r.alert === 'FilesystemPredictedFull')?.expr ?? '', /predict_linear\(/);
  t.regex(rules.find((r) => r.alert === 'ProbeFailing')?.expr ?? '', /^probe_success == 0$/);

  const firingInTests = new Set<string>();
  for (const file of filesIn('rules/tests', '.test.yml')) {
    for (const group of parseYaml(readFileSync(file, 'utf8')).tests ?? []) {
      for (const check of group.alert_rule_test ?? []) if ((check.exp_alerts ?? []).length > 0) firingInTests.add(check.alertname);
    }
  }
  for (const rule of rules) {
    t.true(['warning', 'critical'].includes(rule.labels?.severity ?? ''), `${rule.alert}: severity`);
    t.true((rule.annotations?.summary ?? '').length > 0, `${rule.alert}: summary`);
    t.true((rule.annotations?.description ?? '').length > 0, `${rule.alert}: description`);
    t.true(firingInTests.has(rule.alert), `${rule.alert}: no test in rules/tests/ expects it to fire`);
  }
});

test('promtool test rules passes for every rules/tests/*.test.yml', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const files = filesIn('rules/tests', '.test.yml');
  t.true(files.length >= 5);
  const r = await run(PROMTOOL_BIN, ['test', 'rules', ...files]);
  t.is(r.code, 0, r.output);
  t.is(r.output.match(/SUCCESS/g)?.length, files.length, r.output);
});

// ---- alertmanager.yml ----

test('amtool check-config accepts alertmanager.yml, and also with the commented Slack receiver enabled', async (t) => {
  if (!requireBinary(t, AMTOOL_BIN, 'amtool (Debian: prometheus-alertmanager)')) return;
  const file = repo('alertmanager/alertmanager.yml');
  const r = await run(AMTOOL_BIN, ['check-config', file]);
  t.is(r.code, 0, r.output);
  const config = readYaml('alertmanager/alertmanager.yml');
  t.deepEqual(config.route.group_by, ['alertname', 'job', 'instance']);
  t.truthy(config.route.repeat_interval);
  t.is(config.receivers[0].webhook_configs[0].url, 'http://server:8080/alerts');

  // Uncomment the "- name: slack" block the way its comment tells a user to.
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('  # - name: slack'));
  t.true(start > 0, 'the Slack receiver is there, commented');
  const enabled = lines.map((l, i) => (i >= start && l.startsWith('  # ') ? `  ${l.slice(4)}` : l)).join('\n');
  await withTempDir(async (dir) => {
    writeFileSync(path.join(dir, 'alertmanager.yml'), enabled);
    const withSlack = await run(AMTOOL_BIN, ['check-config', path.join(dir, 'alertmanager.yml')]);
    t.is(withSlack.code, 0, withSlack.output);
    t.regex(withSlack.output, /2 receivers/);
  });
});

// ---- Grafana ----

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string }[] };
}

const dashboards = (): { file: string; dashboard: Dashboard }[] =>
  filesIn('grafana/dashboards', '.json').map((file) => ({ file, dashboard: JSON.parse(readFileSync(file, 'utf8')) as Dashboard }));

const panelsOf = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);

/** Every PromQL expression of the dashboards: panel queries and label_values() selectors. */
function dashboardExpressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const { file, dashboard } of dashboards()) {
    for (const panel of panelsOf(dashboard.panels)) {
      for (const target of panel.targets ?? []) out.push({ where: `${path.basename(file)}: ${panel.title}`, expr: target.expr });
    }
    for (const v of dashboard.templating.list) {
      const query = typeof v.query === 'string' ? v.query : v.query.query;
      const selector = /^label_values\((.+),\s*[a-zA-Z_]\w*\)$/.exec(query)?.[1];
      if (selector) out.push({ where: `${path.basename(file)}: variable ${v.name}`, expr: selector });
    }
  }
  return out;
}

/** Grafana's variables replaced by values PromQL accepts ($__rate_interval is a duration). */
const substituteGrafanaVariables = (expr: string): string =>
  expr.replace(/\$__(rate_interval|interval|range)\b/g, '1m').replace(/\$\{(\w+)\}|\$(\w+)/g, 'x');

test('grafana: provisioning uses the dashboards folder and the data source uid the dashboards name', (t) => {
  const ds = readYaml('grafana/provisioning/datasources/prometheus.yml');
  t.is(ds.datasources[0].uid, 'prometheus');
  t.is(ds.datasources[0].url, 'http://prometheus:9090');
  const providers = readYaml('grafana/provisioning/dashboards/sidecar-exporter.yml');
  t.is(providers.providers[0].options.path, '/etc/grafana/dashboards');

  const all = dashboards();
  t.is(all.length, 3);
  t.is(new Set(all.map((d) => d.dashboard.uid)).size, all.length, 'dashboard uids are unique');
  for (const { file, dashboard } of all) {
    for (const panel of panelsOf(dashboard.panels).filter((p) => p.type !== 'row')) {
      t.is(panel.datasource?.uid, 'prometheus', `${path.basename(file)}: ${panel.title}`);
      t.true((panel.targets ?? []).length > 0, `${path.basename(file)}: ${panel.title} has a query`);
    }
  }
  const exprs = dashboardExpressions().map((e) => e.expr);
  // The uptime issue's PromQL, as the uptime dashboard shows it (with the $target filter).
  for (const wanted of [
    'rate(uptime_checks_success_total{target=~"$target"}[5m]) / rate(uptime_checks_total{target=~"$target"}[5m])',
    'increase(uptime_checks_total{target=~"$target"}[5m]) - increase(uptime_checks_success_total{target=~"$target"}[5m])',
    'rate(uptime_check_duration_seconds_sum{target=~"$target"}[5m]) / rate(uptime_check_duration_seconds_count{target=~"$target"}[5m])',
    'histogram_quantile(0.90, rate(uptime_check_duration_seconds_bucket{target=~"$target"}[5m]))',
    'sum by (instance) (rate(node_cpu_seconds_total{instance=~"$instance", mode!="idle"}[10s]))',
  ]) {
    t.true(exprs.includes(wanted), wanted);
  }
});

test('grafana: every dashboard expression is PromQL that promtool parses', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const exprs = dashboardExpressions();
  t.true(exprs.length > 50);
  const asRules = (list: readonly string[]) =>
    stringifyYaml({ groups: [{ name: 'dashboards', rules: list.map((expr, i) => ({ record: `dashboard:expr:${i}`, expr })) }] });
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'dashboards.rules.yml');
    writeFileSync(file, asRules(exprs.map((e) => substituteGrafanaVariables(e.expr))));
    const r = await run(PROMTOOL_BIN, ['check', 'rules', file]);
    t.is(r.code, 0, `${r.output}\n${exprs.map((e, i) => `${i}: ${e.where}: ${e.expr}`).join('\n')}`);
    t.true(r.output.includes(`SUCCESS: ${exprs.length} rules found`), r.output);

    // The trick catches a syntax error.
    writeFileSync(file, asRules(['sum(rate(node_cpu_seconds_total[5m])']));
    t.not((await run(PROMTOOL_BIN, ['check', 'rules', file])).code, 0);
  });
});

/** Metric names an expression uses, for the prefixes this project's series have. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:node|namedprocess|uptime|container|probe|http)_[a-zA-Z0-9_]+)\b/g)].map((m) => m[1] as string);
}

/** The process-exporter names the process groups collector promises (the process issue). */
const PROCESS_GROUP_NAMES = [
  'num_procs', 'cpu_seconds_total', 'memory_bytes', 'open_filedesc', 'worst_fd_ratio', 'num_threads', 'read_bytes_total', 'write_bytes_total',
  'major_page_faults_total', 'minor_page_faults_total', 'context_switches_total', 'oldest_start_time_seconds', 'states',
  'restarts_total', 'last_start_time_seconds',
].map((n) => `namedprocess_namegroup_${n}`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

test('grafana and rules: every metric name is one node_exporter, the exporter or the sample server exposes', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  const used = new Map<string, string>();
  for (const e of dashboardExpressions()) for (const n of metricNames(e.expr)) used.set(n, e.where);
  for (const r of alertRules()) for (const n of metricNames(r.expr)) used.set(n, `alert ${r.alert}`);

  const nodeExporter = await startExporter('node_exporter', []);
  let nodeNames: Set<string>;
  try {
    nodeNames = new Set([...(await nodeExporter.scrape()).matchAll(/^(node_\w+)/gm)].map((m) => m[1] as string));
  } finally {
    await nodeExporter.stop();
  }
  // Names our own code defines as literals (uptime_*, probe_*, container_*), and the server's.
  const literals = new Set<string>(PROCESS_GROUP_NAMES);
  for (const file of [...sourceFiles(repo('src')), ...sourceFiles(repo('loadtest/server/src'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`]((?:uptime|probe|container|http)_[a-z0-9_]+)['"`]/g)) literals.add(m[1] as string);
  }
  const known = (name: string): boolean => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return name.startsWith('node_') ? nodeNames.has(name) : literals.has(name) || literals.has(base);
  };
  const unknown = [...used].filter(([name]) => !known(name)).map(([name, where]) => `${name} (${where})`);
  t.deepEqual(unknown, []);
  t.true(used.size > 40, `${used.size} names checked`);
});

// ---- sidecar.yml ----

test('sidecar.local.yml, the workstation config the README runs: loopback targets only, and it groups the sample server run from this checkout', async (t) => {
  t.regex(readFileSync(repo('README.md'), 'utf8'), /^npm start -- --web\.listen-address=127\.0\.0\.1:9100 --config\.file=sidecar\.local\.yml$/m);
  const config = parseConfig(readFileSync(repo('sidecar.local.yml'), 'utf8'), 'sidecar.local.yml');
  for (const check of config.checks) {
    const host = check.protocol === 'http' ? new URL(check.target).hostname : check.target;
    t.true(['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host), `${check.name} targets loopback, not ${host}`);
  }
  // The sample server, started as the README says (on a free port here), lands in its group.
  const built = await runWithInput(process.execPath, [repo('loadtest/build-server.mjs')], '', 180_000);
  t.is(built.code, 0, built.stderr);
  const server = spawn(process.execPath, [built.stdout.trim(), '--listen', `127.0.0.1:${await freePort()}`], { stdio: 'ignore' });
  t.teardown(() => server.kill('SIGKILL'));
  const exporter = await startExporter('ours', ['--config.file', repo('sidecar.local.yml'), '--collector.disable-defaults', '--collector.process_groups']);
  t.teardown(() => exporter.stop());
  let text = '';
  for (let i = 0; i < 50 && !/^namedprocess_namegroup_num_procs\{groupname="server"\} 1$/m.test(text); i++) {
    text = await exporter.scrape();
    await new Promise((r) => setTimeout(r, 100));
  }
  t.regex(text, /^namedprocess_namegroup_num_procs\{groupname="server"\} 1$/m);
  // At least this one: exporters of other test files running meanwhile match the rule too.
  t.regex(text, /^namedprocess_namegroup_num_procs\{groupname="sidecar-exporter"\} [1-9]\d*$/m);
});

test('sidecar.yml: valid for the exporter; groups the server image\'s process; checks the server over http and icmp; has http_2xx', (t) => {
  const config = parseConfig(readFileSync(repo('sidecar.yml'), 'utf8'), 'sidecar.yml');
  const serverRule = config.process_names.find((r) => r.name === 'server');
  t.truthy(serverRule?.cmdline);
  // The server image's CMD and the exporter image's command line, joined as process-exporter does.
  const serverCmdline = (/^CMD \[(.*)\]$/m.exec(readFileSync(repo('loadtest/server/Dockerfile'), 'utf8'))?.[1] ?? '').replace(/"/g, '').split(/,\s*/).join(' ');
  t.is(serverCmdline, 'node dist/main.js');
  t.true(serverRule!.cmdline!.every((re) => re.test(serverCmdline)));
  t.false(serverRule!.cmdline!.every((re) => re.test('node build/src/main.js --web.listen-address=:9100')), 'the exporter is not in the server group');

  t.deepEqual(
    config.checks.map((c) => [c.protocol, c.target]),
    [
      ['http', 'http://server:8080/helloWorld'],
      ['icmp', 'server'],
    ],
  );
  t.is(config.modules['http_2xx']?.prober, 'http');
});
