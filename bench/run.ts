// `npm run bench [-- --scale S|M|L] [--json FILE] [--seed N] [--no-e2e]`: issue 7's benchmark.
// Each scale runs in a child process of its own (scale-run.js), so one scale's heap cannot
// slow or bloat the next; cold starts run in grandchildren so their maxRSS is theirs alone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEED } from './cluster.js';
import { benchScript } from './paths.js';
import { checkTargets, type ScaleResult } from './result.js';
import { parseScale, SCALE_NAMES, type ScaleName } from './scales.js';
import { renderTable } from './table.js';

interface Args {
  scales: ScaleName[];
  json?: string;
  seed: number;
  e2e: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { scales: [...SCALE_NAMES], seed: DEFAULT_SEED, e2e: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a}: needs a value`);
      return v;
    };
    if (a === '--scale') args.scales = [parseScale(value())];
    else if (a === '--json') args.json = value();
    else if (a === '--seed') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`--seed: must be a non-negative integer, got ${JSON.stringify(v)}`);
      args.seed = Number(v);
    } else if (a === '--no-e2e') args.e2e = false;
    else throw new Error(`unknown argument ${JSON.stringify(a)} (use --scale S|M|L, --json FILE, --seed N, --no-e2e)`);
  }
  return args;
}

function runScale(scale: ScaleName, seed: number, out: string, e2e: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', '--max-old-space-size=4096', benchScript('scale-run.js'), scale, String(seed), out, ...(e2e ? [] : ['--no-e2e'])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scale ${scale} failed (exit ${code})`))));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'tabby-bench-'));
  const scales: Partial<Record<ScaleName, ScaleResult>> = {};
  try {
    for (const s of args.scales) {
      process.stderr.write(`scale ${s} ...\n`);
      const out = join(work, `${s}.json`);
      await runScale(s, args.seed, out, args.e2e);
      scales[s] = JSON.parse(readFileSync(out, 'utf8')) as ScaleResult;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const targets = checkTargets(scales);
  process.stdout.write(renderTable(scales, targets));
  if (args.json) {
    const doc = {
      generatedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: loadavg() },
      seed: args.seed,
      scales,
      targets,
    };
    writeFileSync(args.json, JSON.stringify(doc, null, 2) + '\n');
    process.stderr.write(`wrote ${args.json}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
