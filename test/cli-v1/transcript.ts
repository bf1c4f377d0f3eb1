// Transcript files (fixtures/transcripts/*.transcript): a calicoctl session
// written as the user sees it. `$ calicoctl ARGS [< FILE]` runs a command
// (FILE, relative to the transcript, is its standard input); the lines up to
// the next `$ ` are exactly what it prints: standard output as is, standard
// error lines prefixed `stderr| `, and `[exit status N]` when it fails. Lines
// starting with `#` are comments (calicoctl output never starts with `#`).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CliResult, CliRunner } from '../helpers/cli.js';

export interface TranscriptStep {
  /** The command as written after `$ `. */
  line: string;
  argv: string[];
  stdinFile?: string;
  /** What the transcript says it prints (rendered as renderResult does). */
  expected: string;
}

export interface Transcript {
  path: string;
  steps: TranscriptStep[];
}

export async function readTranscript(path: string): Promise<Transcript> {
  const steps: TranscriptStep[] = [];
  let current: TranscriptStep | undefined;
  const lines = (await readFile(path, 'utf8')).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    if (raw.startsWith('#')) continue;
    if (raw.startsWith('$ ')) {
      const line = raw.slice(2).trim();
      const redirect = /\s<\s*(\S+)$/.exec(line);
      const words = (redirect ? line.slice(0, redirect.index) : line).trim().split(/\s+/);
      if (words[0] !== 'calicoctl') throw new Error(`${path}: a command must start with calicoctl: ${raw}`);
      current = { line, argv: words.slice(1), expected: '', ...(redirect ? { stdinFile: redirect[1] } : {}) };
      steps.push(current);
      continue;
    }
    if (!current) {
      if (raw.trim() === '') continue;
      throw new Error(`${path}: output before the first command: ${raw}`);
    }
    current.expected += `${raw}\n`;
  }
  return { path, steps };
}

/** What a command printed, in the transcript's notation. */
export function renderResult(result: CliResult): string {
  let out = result.stdout;
  if (out !== '' && !out.endsWith('\n')) out += '\n';
  if (result.stderr !== '') {
    out += result.stderr.replace(/\n$/, '').split('\n').map((l) => `stderr| ${l}`.trimEnd() + '\n').join('');
  }
  if (result.status !== 0) out += `[exit status ${result.status}]\n`;
  return out;
}

export interface StepOutcome {
  step: TranscriptStep;
  actual: string;
}

/** Runs every step in order on one calicoctl and returns what each printed. */
export async function runTranscript(transcript: Transcript, calicoctl: CliRunner): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of transcript.steps) {
    const stdin = step.stdinFile ? await readFile(join(dirname(transcript.path), step.stdinFile), 'utf8') : '';
    outcomes.push({ step, actual: renderResult(await calicoctl.run(step.argv, stdin)) });
  }
  return outcomes;
}

/** A command line without its `< FILE` redirection. */
export function commandOf(step: TranscriptStep): string {
  return ['calicoctl', ...step.argv].join(' ');
}

const COMMAND_LINE = /^(?:\$ |.*\| )?(calicoctl\s.*?)(?:\s*<<\s*EOF)?\s*$/;
const isCommandLine = (line: string): boolean => COMMAND_LINE.test(line);

/**
 * The calicoctl commands of a seed, in order, as run: the lines of its fenced
 * code blocks that run calicoctl (`$ calicoctl ...`, `cat << EOF | calicoctl
 * ...`, `calicoctl ... <<EOF`), without the heredoc.
 */
export function seedCommands(seedText: string): string[] {
  const out: string[] = [];
  let inFence = false;
  for (const raw of seedText.split('\n')) {
    if (raw.startsWith('```')) {
      inFence = !inFence;
      continue;
    }
    if (!inFence) continue;
    const m = COMMAND_LINE.exec(raw);
    if (m) out.push(m[1]!.replace(/\s+/g, ' '));
  }
  return out;
}

/**
 * What a seed shows right after each run of a command inside a fenced code
 * block, in order: the command appears as `$ CMD` or `CMD` on its own line;
 * blank lines after it are skipped; the output ends at the closing fence.
 * Runs whose output the seed does not show are left out.
 */
export function seedOutputsAfter(seedText: string, command: string): string[] {
  const lines = seedText.split('\n');
  const outputs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trimEnd();
    if (l !== `$ ${command}` && l !== command) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    const out: string[] = [];
    while (j < lines.length && !lines[j]!.startsWith('```') && !isCommandLine(lines[j]!)) out.push(lines[j++]!);
    if (out.length > 0) outputs.push(out.map((x) => `${x}\n`).join(''));
  }
  return outputs;
}
