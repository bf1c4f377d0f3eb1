// The command line of `calicoctl profile ...`, read the way calicoctl v0's
// docopt read it: options (--at, --detailed, --no-check, --help) may stand
// anywhere, `--at=N` or `--at N`, and `--` ends the options. Anything else out
// of place is a ProfileUsageError naming the offending word.
import { isValidName, isValidTag } from '../../model/names.js';
import { parseRule, RuleSyntaxError } from '../../model/rule-grammar.js';
import type { Rule } from '../../model/types.js';

export type Direction = 'inbound' | 'outbound';

export type ProfileInvocation =
  | { command: 'help' }
  | { command: 'show'; detailed: boolean }
  | { command: 'add'; profile: string }
  | { command: 'remove'; profile: string; noCheck: boolean }
  | { command: 'tag show'; profile: string }
  | { command: 'tag add' | 'tag remove'; profile: string; tag: string }
  | { command: 'rule add'; profile: string; direction: Direction; position?: number; rule: Rule }
  | { command: 'rule remove'; profile: string; direction: Direction; position: number }
  | { command: 'rule remove matching'; profile: string; direction: Direction; rule: Rule }
  | { command: 'rule show' | 'rule json' | 'rule update'; profile: string };

/** A command line that does not fit the usage; `showUsage` when the usage text helps. */
export class ProfileUsageError extends Error {
  constructor(message: string, public readonly showUsage: boolean) {
    super(message);
    this.name = 'ProfileUsageError';
  }
}

interface Options {
  at?: string;
  detailed: boolean;
  noCheck: boolean;
  help: boolean;
}

const quote = (word: string): string =>
  /^[\x21-\x7e]+$/.test(word) && !/['\\]/.test(word) ? `'${word}'` : JSON.stringify(word);

/** Splits options from the other words. */
function splitOptions(argv: readonly string[]): { options: Options; words: string[] } {
  const options: Options = { detailed: false, noCheck: false, help: false };
  const words: string[] = [];
  const once = (name: string, given: boolean): void => {
    if (given) throw new ProfileUsageError(`Invalid command: option --${name} is given more than once.`, true);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--at' || arg.startsWith('--at=')) {
      once('at', options.at !== undefined);
      if (arg === '--at') {
        const value = argv[++i];
        if (value === undefined) throw new ProfileUsageError(`Invalid command: --at needs a position (--at=<POSITION>).`, true);
        options.at = value;
      } else {
        options.at = arg.slice('--at='.length);
      }
    } else if (arg === '--detailed') {
      once('detailed', options.detailed);
      options.detailed = true;
    } else if (arg === '--no-check') {
      once('no-check', options.noCheck);
      options.noCheck = true;
    } else if (arg === '-h' || arg === '--help') {
      options.help = true;
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new ProfileUsageError(`Invalid command: unknown option ${quote(arg)}.`, true);
    } else {
      words.push(arg);
    }
  }
  return { options, words };
}

/** Rejects the options that the command does not take. */
function onlyOptions(options: Options, allowed: readonly ('at' | 'detailed' | 'noCheck')[], command: string): void {
  const given: [keyof Options, string][] = [
    ['at', '--at'],
    ['detailed', '--detailed'],
    ['noCheck', '--no-check'],
  ];
  for (const [key, flag] of given) {
    const isSet = key === 'at' ? options.at !== undefined : options[key];
    if (isSet && !(allowed as readonly string[]).includes(key)) {
      throw new ProfileUsageError(`Invalid command: '${command}' does not take ${flag}.`, true);
    }
  }
}

function noMoreWords(words: readonly string[], from: number, command: string): void {
  const extra = words[from];
  if (extra !== undefined) {
    throw new ProfileUsageError(`Invalid command: unexpected ${quote(extra)} after '${command}'.`, true);
  }
}

function profileName(word: string | undefined, command: string): string {
  if (word === undefined) throw new ProfileUsageError(`Invalid command: '${command}' needs a profile name.`, true);
  if (!isValidName(word)) {
    throw new ProfileUsageError(
      `Invalid profile name ${quote(word)}: a profile name is 1 to 128 numbers, letters, dots, dashes and underscores.`,
      false,
    );
  }
  return word;
}

function tagName(word: string | undefined, command: string): string {
  if (word === undefined) throw new ProfileUsageError(`Invalid command: '${command}' needs a tag name.`, true);
  if (!isValidTag(word)) {
    throw new ProfileUsageError(
      `Invalid tag ${quote(word)}: a tag is 1 to 128 numbers, letters, dots, dashes and underscores.`,
      false,
    );
  }
  return word;
}

function position(text: string): number {
  if (!/^[+-]?\d{1,9}$/.test(text)) {
    throw new ProfileUsageError(`Invalid position ${quote(text)} for --at: expected a whole number.`, false);
  }
  return Number(text);
}

function direction(word: string | undefined, command: string): Direction {
  if (word === 'inbound' || word === 'outbound') return word;
  if (word === undefined) throw new ProfileUsageError(`Invalid command: '${command}' needs inbound or outbound.`, true);
  throw new ProfileUsageError(`Invalid command: unexpected ${quote(word)} after '${command}'; expected inbound or outbound.`, true);
}

function rule(words: readonly string[]): Rule {
  try {
    return parseRule(words);
  } catch (err) {
    if (err instanceof RuleSyntaxError) throw new ProfileUsageError(err.message, err.structural);
    throw err;
  }
}

/** Reads the words after `calicoctl profile`. */
export function parseProfileArgs(argv: readonly string[]): ProfileInvocation {
  const { options, words } = splitOptions(argv);
  if (options.help) return { command: 'help' };
  const [first, second] = words;
  if (first === undefined) throw new ProfileUsageError('Invalid command: a profile command is needed.', true);

  if (second === 'tag' || second === 'rule') return profileSubcommand(words, options);

  switch (first) {
    case 'show':
      onlyOptions(options, ['detailed'], 'profile show');
      noMoreWords(words, 1, 'profile show');
      return { command: 'show', detailed: options.detailed };
    case 'add':
      onlyOptions(options, [], 'profile add');
      noMoreWords(words, 2, `profile add ${second}`);
      return { command: 'add', profile: profileName(second, 'profile add') };
    case 'remove':
      onlyOptions(options, ['noCheck'], 'profile remove');
      noMoreWords(words, 2, `profile remove ${second}`);
      return { command: 'remove', profile: profileName(second, 'profile remove'), noCheck: options.noCheck };
  }
  if (second === undefined) {
    throw new ProfileUsageError(`Invalid command: unexpected ${quote(first)}; expected show, add, remove, or a profile name followed by tag or rule.`, true);
  }
  throw new ProfileUsageError(`Invalid command: unexpected ${quote(second)} after profile ${quote(first)}; expected tag or rule.`, true);
}

/** `<PROFILE> tag ...` and `<PROFILE> rule ...`. */
function profileSubcommand(words: readonly string[], options: Options): ProfileInvocation {
  const [name, group, verb] = words as [string, 'tag' | 'rule', string | undefined];
  const profile = profileName(name, `profile ${name}`);
  const command = `${group} ${verb ?? ''}`.trim();

  if (group === 'tag') {
    onlyOptions(options, [], command);
    switch (verb) {
      case 'show':
        noMoreWords(words, 3, 'tag show');
        return { command: 'tag show', profile };
      case 'add':
      case 'remove':
        noMoreWords(words, 4, `tag ${verb} ${words[3]}`);
        return { command: `tag ${verb}`, profile, tag: tagName(words[3], `tag ${verb}`) };
    }
    throw badVerb(verb, 'tag', ['show', 'add', 'remove']);
  }

  switch (verb) {
    case 'show':
    case 'json':
    case 'update':
      onlyOptions(options, [], command);
      noMoreWords(words, 3, command);
      return { command: `rule ${verb}`, profile };
    case 'add': {
      onlyOptions(options, ['at'], command);
      const dir = direction(words[3], 'rule add');
      const at = options.at === undefined ? undefined : position(options.at);
      const parsed = rule(words.slice(4));
      return at === undefined
        ? { command: 'rule add', profile, direction: dir, rule: parsed }
        : { command: 'rule add', profile, direction: dir, position: at, rule: parsed };
    }
    case 'remove': {
      onlyOptions(options, ['at'], command);
      const dir = direction(words[3], 'rule remove');
      if (options.at !== undefined) {
        noMoreWords(words, 4, `rule remove ${dir} --at=${options.at}`);
        return { command: 'rule remove', profile, direction: dir, position: position(options.at) };
      }
      if (words[4] === undefined) {
        throw new ProfileUsageError(`Invalid command: 'rule remove ${dir}' needs --at=<POSITION> or a rule (allow|deny ...).`, true);
      }
      return { command: 'rule remove matching', profile, direction: dir, rule: rule(words.slice(4)) };
    }
  }
  throw badVerb(verb, 'rule', ['show', 'json', 'update', 'add', 'remove']);
}

function badVerb(verb: string | undefined, group: string, verbs: readonly string[]): ProfileUsageError {
  const expected = `${verbs.slice(0, -1).join(', ')} or ${verbs.at(-1)}`;
  if (verb === undefined) return new ProfileUsageError(`Invalid command: '${group}' needs one of ${expected}.`, true);
  return new ProfileUsageError(`Invalid command: unexpected ${quote(verb)} after '${group}'; expected ${expected}.`, true);
}
