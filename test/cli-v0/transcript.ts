// Transcripts: a `.commands` file lists calicoctl command lines (words split
// at spaces, an optional `< FILE` for standard input, an optional `# note`);
// running them in order against one fresh store gives the transcript, each
// command after `$ ` followed by what it printed. Standard error lines are
// prefixed with `stderr| ` and a non-zero exit status ends the block.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliResult, CliRunner } from '../helpers/cli.js';

export interface TranscriptCommand {
  /** The command line as written, without its note. */
  line: string;
  argv: string[];
  /** File (in the commands file's directory) given on standard input. */
  stdinFile?: string;
  /** The note after `#`, e.g. "not in the seed: ...". */
  note?: string;
}

export interface TranscriptStep extends TranscriptCommand {
  result: CliResult;
}

export interface CommandsFile {
  comments: string[];
  commands: TranscriptCommand[];
}

export async function readCommands(path: string): Promise<CommandsFile> {
  const comments: string[] = [];
  const commands: TranscriptCommand[] = [];
  for (const raw of (await readFile(path, 'utf8')).split('\n')) {
    if (raw.trim() === '') continue;
    if (raw.startsWith('#')) {
      comments.push(raw);
      continue;
    }
    const hash = raw.indexOf(' #');
    const note = hash === -1 ? undefined : raw.slice(hash + 2).trim();
    let line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    let stdinFile: string | undefined;
    const redirect = /\s<\s*(\S+)$/.exec(line);
    if (redirect) stdinFile = redirect[1];
    const words = (redirect ? line.slice(0, redirect.index) : line).trim().split(/\s+/);
    if (words[0] !== 'calicoctl') throw new Error(`${path}: a command must start with calicoctl: ${raw}`);
    line = line.replace(/\s+/g, ' ');
    commands.push({ line, argv: words.slice(1), ...(stdinFile ? { stdinFile } : {}), ...(note ? { note } : {}) });
  }
  return { comments, commands };
}

/** Runs the commands in order; files for standard input are read from `dir`. */
export async function runCommands(calicoctl: CliRunner, commands: readonly TranscriptCommand[], dir: string): Promise<TranscriptStep[]> {
  const steps: TranscriptStep[] = [];
  for (const command of commands) {
    const stdin = command.stdinFile ? await readFile(join(dir, command.stdinFile), 'utf8') : '';
    steps.push({ ...command, result: await calicoctl.run(command.argv, stdin) });
  }
  return steps;
}

export function renderTranscript(comments: readonly string[], steps: readonly TranscriptStep[]): string {
  let out = comments.map((c) => `${c}\n`).join('');
  for (const step of steps) {
    out += `$ ${step.line}\n${step.result.stdout}`;
    if (step.result.stdout !== '' && !step.result.stdout.endsWith('\n')) out += '\n';
    if (step.result.stderr !== '') {
      out += step.result.stderr.replace(/\n$/, '').split('\n').map((l) => `stderr| ${l}`.trimEnd() + '\n').join('');
    }
    if (step.result.status !== 0) out += `[exit status ${step.result.status}]\n`;
  }
  return out;
}
