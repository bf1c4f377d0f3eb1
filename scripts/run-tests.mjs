// Runs every compiled test under tap and ends with the plain line
// "N passed, N failed[, N skipped]" counted from tap's own TAP stream.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : findTests('dist/test').sort();
const child = spawn(process.execPath, [
  'node_modules/tap/dist/esm/run.mjs', '--reporter=tap', '--disable-coverage',
  '--allow-incomplete-coverage', '--jobs=2', '--timeout=600', ...files,
], { stdio: ['ignore', 'pipe', 'inherit'] });

// A point is a leaf unless deeper-indented lines (its subtest body) came
// since the last point at its indent; YAML diagnostic blocks do not count.
let passed = 0, failed = 0, skipped = 0;
const dirty = new Set(); // indents that saw deeper content since their last point
let inYaml = false;
let buf = '';
function onLine(line) {
  process.stdout.write(line + '\n');
  const body = line.trim();
  const indent = line.length - line.trimStart().length;
  if (inYaml) { if (body === '...') inYaml = false; return; }
  if (body === '---') { inYaml = true; return; }
  if (body === '') return;
  for (let l = 0; l < indent; l++) dirty.add(l);
  const m = /^(not ok|ok) \d+/.exec(body);
  if (!m) return;
  const isSummary = dirty.has(indent) || /\{\s*$/.test(body);
  dirty.delete(indent);
  if (isSummary) {
    // a failed subtest whose body failed no leaf (a crash, a timeout) still counts
    if (m[1] === 'not ok' && !/# (SKIP|TODO)/i.test(body) && failed === failedBefore.get(indent)) failed++;
    failedBefore.set(indent, failed);
    return;
  }
  if (/# SKIP/i.test(body)) skipped++;
  else if (m[1] === 'ok' || /# TODO/i.test(body)) passed++;
  else failed++;
}
const failedBefore = new Map();
child.stdout.on('data', (d) => {
  buf += d.toString();
  let i;
  while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
});
child.on('close', (code) => {
  if (buf) onLine(buf);
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
});
