// Seeds 002 and 004 as calicoctl sessions: every calicoctl command of each
// seed runs in order on one empty store and prints exactly what the golden
// transcript (fixtures/transcripts/seed-00N.transcript) says, on every
// available backend. Where the seed itself shows a command's output, the
// output is also compared with the seed's text directly, so the golden file
// cannot drift from the specification. The transcript of v1 messages covers
// the failure paths. Regenerate the golden files deliberately with
// UPDATE_GOLDEN=1 (memory backend); the seed comparison still applies.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { createResourceStore } from '../../src/datastore/resource-store.js';
import { inProcessCalicoctl, memoryCalicoctl, type CliRunner } from '../helpers/cli.js';
import { fixturesDir, sharedDir } from '../helpers/paths.js';
import { ALL_BACKENDS, wipe, type Backend } from './backends.js';
import {
  commandOf, readTranscript, runTranscript, seedCommands, seedOutputsAfter, type StepOutcome, type Transcript,
} from './transcript.js';

const dir = join(fixturesDir(), 'transcripts');
const update = process.env.UPDATE_GOLDEN === '1';

const TRANSCRIPTS: { file: string; seed?: string }[] = [
  { file: 'seed-002.transcript', seed: '002_04a0240da5b5c9e3.txt' },
  { file: 'seed-004.transcript', seed: '004_be82091fb440d21f.txt' },
  { file: 'v1-messages.transcript' },
];

/** The transcript with each command's output replaced by what it printed (comments kept). */
async function rewritten(transcript: Transcript, outcomes: readonly StepOutcome[]): Promise<string> {
  const lines = (await readFile(transcript.path, 'utf8')).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let out = '';
  let step = -1;
  for (const line of lines) {
    if (line.startsWith('$ ')) {
      step++;
      out += `${line}\n${outcomes[step]!.actual}`;
    } else if (line.startsWith('#') || step === -1) {
      out += `${line}\n`;
    }
  }
  return out;
}

function calicoctlFor(backend: Backend): CliRunner {
  // The embedded and etcd stores are opened by main() from the environment,
  // exactly as the binary opens them; the memory store is injected.
  if (backend.env) return inProcessCalicoctl(backend.env);
  return inProcessCalicoctl({}, async () => createResourceStore(await backend.open()));
}

for (const { file, seed } of TRANSCRIPTS) {
  t.test(file, async (t) => {
    const transcript = await readTranscript(join(dir, file));

    if (seed) {
      const seedPath = join(sharedDir(), 'seeds', seed);
      t.test('covers every calicoctl command of the seed, in order', { skip: existsSync(seedPath) ? false : `${seedPath} is not here` }, async (t) => {
        const wanted = seedCommands(await readFile(seedPath, 'utf8'));
        const have = transcript.steps.map(commandOf);
        let at = 0;
        for (const command of wanted) {
          const found = have.indexOf(command, at);
          t.not(found, -1, `seed command in order: ${command}`);
          if (found !== -1) at = found + 1;
        }
        t.ok(wanted.length > 0, `the seed has ${wanted.length} calicoctl commands`);
      });
    }

    if (update) {
      const outcomes = await runTranscript(transcript, memoryCalicoctl());
      await writeFile(transcript.path, await rewritten(transcript, outcomes));
      t.pass(`rewrote ${file}`);
      return;
    }

    for (const factory of ALL_BACKENDS) {
      const why = await factory.unavailable();
      t.test(`on the ${factory.name} backend`, { skip: why ?? false }, async (t) => {
        const backend = await factory.create(t);
        await wipe(backend);
        const outcomes = await runTranscript(transcript, calicoctlFor(backend));
        for (const { step, actual } of outcomes) t.equal(actual, step.expected, `$ ${step.line}`);

        if (seed && existsSync(join(sharedDir(), 'seeds', seed))) {
          const seedText = await readFile(join(sharedDir(), 'seeds', seed), 'utf8');
          const runs = new Map<string, number>();
          for (const { step, actual } of outcomes) {
            const command = commandOf(step);
            const run = runs.get(command) ?? 0;
            runs.set(command, run + 1);
            const shown = seedOutputsAfter(seedText, command)[run];
            if (shown !== undefined) t.equal(actual, shown, `as the seed prints it: $ ${command}`);
          }
        }
      });
    }
  });
}
