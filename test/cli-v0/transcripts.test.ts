// The command sequences of seeds 000, 001 and 003, run in order against a
// fresh embedded store, print exactly what the seeds print (whitespace
// included); the full transcripts are golden files under fixtures/transcripts/
// (regenerate deliberately with UPDATE_GOLDEN=1). A further transcript covers
// every other message of the v0 profile commands.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { fixturesDir, sharedDir } from '../helpers/paths.js';
import { embeddedCalicoctl } from '../helpers/cli.js';
import { readCommands, renderTranscript, runCommands, type TranscriptStep } from './transcript.js';

const dir = join(fixturesDir(), 'transcripts');
const update = process.env.UPDATE_GOLDEN === '1';

const SEEDS: Record<string, string> = {
  'seed-000': '000_bc31873e7879f31c.txt',
  'seed-001': '001_269d2268c10e643d.txt',
  'seed-003': '003_7e0aaaf9c95178d1.txt',
};

/** What a seed prints after a command: [command line, which run of it (1-based), the printed lines]. */
type SeedOutput = [string, number, string];

const WEB_DEFAULT = 'Inbound rules:\n   1 allow from tag WEB\nOutbound rules:\n   1 allow\n';
const WEB_PUBLIC = 'Inbound rules:\n   1 allow tcp to ports 80,443\n   2 allow icmp type 8\nOutbound rules:\n   1 allow\n';
const WEB_TAGS = '    WEB\n    APP_7890\n';

const SEED_OUTPUTS: Record<string, SeedOutput[]> = {
  'seed-000': [
    ['calicoctl profile WEB rule show', 1, WEB_DEFAULT],
    ['calicoctl profile WEB rule show', 2, WEB_PUBLIC],
    ['calicoctl profile WEB tag show', 1, WEB_TAGS],
  ],
  // Seed 001 is seed 000 as plain text, its indentation lost; compared line by line without it.
  'seed-001': [
    ['calicoctl profile WEB rule show', 1, WEB_DEFAULT],
    ['calicoctl profile WEB rule show', 2, WEB_PUBLIC],
    ['calicoctl profile WEB tag show', 1, WEB_TAGS],
  ],
  'seed-003': [
    ['calicoctl profile databases rule show', 1, 'Inbound rules:\n   1 allow from tag databases\nOutbound rules:\n   1 allow\n'],
    [
      'calicoctl profile databases rule show',
      2,
      'Inbound rules:\n   1 allow from tag databases\n   2 allow tcp from tag applications to ports 3306\nOutbound rules:\n   1 allow\n',
    ],
  ],
};

const unindented = (text: string): string => text.split('\n').map((l) => l.trim()).join('\n');

/** A subtest's `t` (the callback parameter of t.test). */
type Asserts = Parameters<Parameters<typeof t.test>[0]>[0];

async function checkGolden(t: Asserts, name: string, transcript: string): Promise<void> {
  const goldenPath = join(dir, `${name}.transcript`);
  if (update) {
    await writeFile(goldenPath, transcript);
    t.pass(`wrote ${goldenPath}`);
    return;
  }
  let golden: string;
  try {
    golden = await readFile(goldenPath, 'utf8');
  } catch {
    t.fail(`${goldenPath} is missing; create it with UPDATE_GOLDEN=1`);
    return;
  }
  t.equal(transcript, golden, `${name}: the transcript equals the golden file`);
}

function nthRun(steps: readonly TranscriptStep[], line: string, n: number): TranscriptStep | undefined {
  return steps.filter((s) => s.line === line)[n - 1];
}

for (const [name, seedFile] of Object.entries(SEEDS)) {
  t.test(`${name}: the seed's commands print what the seed prints`, async (t) => {
    const seed = await readFile(join(sharedDir(), 'seeds', seedFile), 'utf8');
    const { comments, commands } = await readCommands(join(dir, `${name}.commands`));

    // The commands are the seed's own (bar those noted as not in it), in the seed's order.
    let from = 0;
    for (const c of commands) {
      if (c.note?.startsWith('not in the seed')) continue;
      const at = seed.indexOf(c.line, from);
      t.ok(at >= 0, `the seed runs "${c.line}" here`);
      if (at >= 0) from = at + c.line.length;
    }

    const calicoctl = await embeddedCalicoctl(t);
    const steps = await runCommands(calicoctl, commands, dir);
    for (const step of steps) t.equal(step.result.status, 0, `${step.line}: exit status 0`);

    for (const [line, n, expected] of SEED_OUTPUTS[name]!) {
      const step = nthRun(steps, line, n);
      t.ok(step, `${line} runs at least ${n} time(s)`);
      if (!step) continue;
      if (name === 'seed-001') {
        // The seed's last output ends the file, without a final newline.
        t.ok(seed.includes(unindented(expected).replace(/\n$/, '')), `seed 001 prints this after "${line}" (#${n})`);
        t.equal(unindented(step.result.stdout), unindented(expected), `${line} (#${n}) prints what seed 001 shows`);
        t.equal(step.result.stdout, expected, `${line} (#${n}) prints it with seed 000's whitespace`);
      } else {
        t.ok(seed.includes(expected), `the seed prints this after "${line}" (#${n})`);
        t.equal(step.result.stdout, expected, `${line} (#${n}) prints exactly what the seed shows`);
      }
    }
    await checkGolden(t, name, renderTranscript(comments, steps));
  });
}

t.test('messages: every other outcome of the v0 profile commands', async (t) => {
  const { comments, commands } = await readCommands(join(dir, 'messages.commands'));
  const calicoctl = await embeddedCalicoctl(t);
  await checkGolden(t, 'messages', renderTranscript(comments, await runCommands(calicoctl, commands, dir)));
});
