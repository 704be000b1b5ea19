/**
 * The shipped alert rule (rules/uptime.rules.yml) under `promtool test rules`, with input
 * series written for it (rules/tests/uptime.test.yml).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { uptimeDescs } from '../../src/uptime/metrics.js';
import { PROMTOOL_BIN, REPO_ROOT, requireBinary, runWithInput } from '../helpers/exporters.js';

const RULES = path.join(REPO_ROOT, 'rules/uptime.rules.yml');
const RULE_TESTS = path.join(REPO_ROOT, 'rules/tests/uptime.test.yml');

test('promtool check rules accepts the rule file', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const r = await runWithInput(PROMTOOL_BIN, ['check', 'rules', RULES], '');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /SUCCESS: 1 rules found/);
});

test('promtool test rules: fires after 45s without success (also for a check that never succeeded), not while succeeding', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const r = await runWithInput(PROMTOOL_BIN, ['test', 'rules', RULE_TESTS], '');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout + r.stderr, /SUCCESS/);
});

test('the rule tests catch a rule that ignores checks that never succeeded', async (t) => {
  if (!requireBinary(t, PROMTOOL_BIN, 'promtool')) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'uptime-rules-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const rules = await readFile(RULES, 'utf8');
  const naive = rules.replace(/expr: \|\n[\s\S]*?\n(\s+)labels:/, (_m, indent: string) => `expr: time() - uptime_check_last_success_timestamp_seconds > 45\n${indent}labels:`);
  t.not(naive, rules);
  await writeFile(path.join(dir, 'uptime.rules.yml'), naive);
  await writeFile(path.join(dir, 'uptime.test.yml'), (await readFile(RULE_TESTS, 'utf8')).replace('../uptime.rules.yml', 'uptime.rules.yml'));
  const r = await runWithInput(PROMTOOL_BIN, ['test', 'rules', path.join(dir, 'uptime.test.yml')], '');
  t.not(r.code, 0, 'the naive rule must fail the tests');
  t.regex(r.stdout + r.stderr, /FAILED/);
});

test('the rule uses the metric names the collector exports', async (t) => {
  const rules = await readFile(RULES, 'utf8');
  for (const name of rules.match(/\buptime_[a-z_]+\b/g) ?? []) {
    t.true(
      Object.values(uptimeDescs).some((d) => d.name === name),
      `${name} is not exported by the uptime collector`,
    );
  }
  t.true(rules.includes(uptimeDescs.lastSuccess.name) && rules.includes(uptimeDescs.created.name));
});
