import { readFile } from 'node:fs/promises';
import t from 'tap';
const { profileCommand } = await t.mockImport<typeof import('../../src/cli/v0/profile.js')>('../../src/cli/v0/profile.js', { '../../src/selector/index.js': { parseSelector: () => ({}) }, '../../src/cli/v1/session.js': { withStore: async (ctx: any, fn: any) => fn(await ctx.openStore()) } });
import { memStore } from './zz-scratch-mem.js';
import { readCommands, renderTranscript } from './transcript.js';
const dir = '/work/main/fixtures/transcripts';
for (const name of ['seed-000', 'seed-003', 'messages']) {
  const store = memStore();
  const { comments, commands } = await readCommands(`${dir}/${name}.commands`);
  const steps = [];
  for (const c of commands) {
    let stdout = '', stderr = '';
    const stdin = c.stdinFile ? await readFile(`${dir}/${c.stdinFile}`, 'utf8') : '';
    const status = c.argv[0] !== 'profile' ? -99 : await profileCommand(c.argv.slice(1), { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, readStdin: async () => stdin, env: {}, openStore: async () => store });
    steps.push({ ...c, result: { status, stdout, stderr } });
  }
  console.log(renderTranscript(comments, steps));
}
