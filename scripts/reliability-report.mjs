#!/usr/bin/env node
// Turns one reliability sweep's outputs into the markdown tables of docs/reliability.md:
//   node scripts/reliability-report.mjs <results.jsonl> <vitest.json> [<vitest.json> ...]
// results.jsonl: lines the crash and fuzz suites append (REL_RESULTS_FILE); vitest.json: the
// json reporter's output (one per vitest run of the sweep). Prints markdown on stdout.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [resultsFile, ...vitestFiles] = process.argv.slice(2);
if (!resultsFile) {
  process.stderr.write('usage: reliability-report.mjs <results.jsonl> <vitest.json>...\n');
  process.exit(2);
}
const lines = readFileSync(resultsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const out = [];
const crash = lines.filter((l) => l.suite === 'crash' && l.fired);
if (crash.length > 0) {
  out.push(
    '### Crash at every engine write',
    '',
    '| scenario | kill mode | kill points | converged |',
    '| --- | --- | --- | --- |',
  );
  const by = new Map();
  for (const l of crash) {
    const key = `${l.scenario}\t${l.mode}`;
    const row = by.get(key) ?? { ok: 0, n: 0 };
    row.n++;
    if (l.converged) row.ok++;
    by.set(key, row);
  }
  for (const [key, { ok, n }] of by) {
    const [scenario, mode] = key.split('\t');
    out.push(`| ${scenario} | ${mode} | ${n} | ${ok}/${n} |`);
  }
  const ok = crash.filter((l) => l.converged).length;
  out.push(`| **total** | | ${crash.length} | **${ok}/${crash.length}** |`, '');
  for (const l of crash.filter((x) => !x.converged))
    out.push(`- FAILED ${l.scenario} ${l.mode} k=${l.k} (${l.route}): ${String(l.problems?.[0] ?? '').split('\n')[0]}`);
}

for (const f of lines.filter((l) => l.suite === 'fuzz')) {
  out.push(
    '### Loader fuzzing',
    '',
    `${f.inputs.toLocaleString('en')} inputs (seed ${f.seed}): ${f.models.toLocaleString('en')} loaded as models, ${f.stackErrors.toLocaleString('en')} clean StackErrors, **${f.other} other exceptions**; slowest input ${f.maxMs} ms (dearest ${f.maxCpuMs ?? '?'} ms of CPU; ${f.confirmed ?? '?'} inputs over the estimate timed again against a same-size baseline, bound ${f.scale ?? '?'}x); peak RSS ${f.maxRssMiB} MiB.`,
    '',
  );
}

const tests = [];
for (const file of vitestFiles) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? [])
      tests.push({ file: basename(suite.name ?? ''), title: t.title, status: t.status, ms: t.duration ?? 0 });
  }
}
if (tests.length > 0) {
  out.push('### Every test of the sweep', '', '| file | test | result | time |', '| --- | --- | --- | --- |');
  // A file of many generated cases (one per invalid fixture) is one row.
  const byFile = new Map();
  for (const t of tests) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  for (const [file, list] of byFile) {
    if (list.length > 12) {
      const ok = list.filter((t) => t.status === 'passed').length;
      const ms = list.reduce((sum, t) => sum + t.ms, 0);
      out.push(
        `| ${file} | ${list.length} cases (${list[0].title.replace(/^[^:]*: /, '').replace(/\|/g, '\\|')}) | ${ok}/${list.length} passed | ${(ms / 1000).toFixed(1)} s |`,
      );
      continue;
    }
    for (const t of list)
      out.push(`| ${file} | ${t.title.replace(/\|/g, '\\|')} | ${t.status} | ${(t.ms / 1000).toFixed(1)} s |`);
  }
  const passed = tests.filter((t) => t.status === 'passed').length;
  const ran = tests.filter((t) => t.status === 'passed' || t.status === 'failed').length;
  out.push('', `${passed}/${ran} passed (${tests.length - ran} skipped).`, '');
}
process.stdout.write(out.join('\n') + '\n');
