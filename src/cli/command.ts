// What a `joblib-ts` command is, and the two things every command does alike: parse its
// arguments strictly (node:util parseArgs: an unknown option is a usage error, never ignored)
// and, for a command made of subcommands (`joblib-ts` itself, `joblib-ts cache`), pick the
// subcommand from a table by the first argument. Adding a command is one entry in a table.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

/** Where a command writes, and the words that invoked it (for messages). */
export interface Invocation {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** The command words so far, e.g. `['joblib-ts', 'cache', 'prune']`; each group adds its subcommand's. */
  readonly words: string[];
}

/** One command (or group of subcommands) of the `joblib-ts` program. */
export interface Command {
  /** The word that selects it. */
  readonly name: string;
  /** What it does, in one line, for its group's list. */
  readonly summary: string;
  /** Its arguments, for its group's list: `FILE [--json] [--depth N]`. */
  readonly synopsis: string;
  /** Its full help, printed by `--help`. */
  help(words: readonly string[]): string;
  /** Runs it with the arguments after its name; resolves to the exit code (0 ok, 1 failure). */
  run(args: readonly string[], invocation: Invocation): Promise<number>;
}

/** The options of a command, as parseArgs takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs returns for `options`: each option typed by its spec. */
export interface Parsed<O extends OptionSpecs> {
  readonly values: { readonly [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  readonly positionals: readonly string[];
}

/** Node's parseArgs error codes, which all mean the command line is wrong. */
const PARSE_ERRORS = /^ERR_PARSE_ARGS_/;

/**
 * Parses a command's arguments strictly: unknown options, a missing option value and a
 * boolean given a value are UsageErrors. Positionals are returned for the command to check.
 */
export function parseCommandLine<O extends OptionSpecs>(args: readonly string[], options: O): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    return { values: values as Parsed<O>['values'], positionals };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && PARSE_ERRORS.test(code)) {
      // Node's text for an unknown option goes on about positionals starting with '-': keep its first sentence.
      const first = /^[\s\S]*?\.(?=\s|$)/.exec((error as Error).message)?.[0] ?? (error as Error).message;
      throw new UsageError(first, { cause: error });
    }
    throw error;
  }
}

/** The help option every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Lines of a command list: `  name synopsis   summary`, aligned. */
export function commandList(commands: readonly Command[]): string {
  const heads = commands.map((c) => `${c.name} ${c.synopsis}`.trim());
  const width = Math.max(...heads.map((h) => h.length));
  return commands.map((c, i) => `  ${heads[i]!.padEnd(width)}   ${c.summary}`).join('\n');
}

/** What a group says of itself in its help, around the list of its commands. */
export interface GroupSpec {
  readonly name: string;
  readonly summary: string;
  /** Its arguments for the list of its parent group (default: its commands, `a|b|c …`). */
  readonly synopsis?: string;
  /** Paragraphs after the usage line and before the commands. */
  readonly description: string;
  readonly commands: readonly Command[];
  /** Lines on options the group itself takes, after the commands (besides --help). */
  readonly options?: string;
  /** Handles the group's own options besides --help (`--version`): an exit code, or null to go on. */
  readonly own?: (args: readonly string[], invocation: Invocation) => number | null;
}

/**
 * A command made of subcommands, chosen by the first argument: `joblib-ts inspect …`,
 * `joblib-ts cache ls …`. `--help` (or `-h`) before any subcommand prints the group's help.
 */
export function commandGroup(spec: GroupSpec): Command {
  const byName = new Map(spec.commands.map((c) => [c.name, c]));
  const names = (): string => spec.commands.map((c) => c.name).join(', ');
  const group: Command = {
    name: spec.name,
    summary: spec.summary,
    synopsis: spec.synopsis ?? `${spec.commands.map((c) => c.name).join('|')} …`,
    help: (words) => {
      const program = words.join(' ');
      return `Usage: ${program} <command> [options]\n\n${spec.description}\n\nCommands:\n${commandList(spec.commands)}\n\n` +
        `Options:\n  -h, --help   show this help\n${spec.options ?? ''}\n` +
        `Run '${program} <command> --help' for a command's options.\nExit status: 0 ok, 1 failure, 2 usage error.\n`;
    },
    async run(args, invocation) {
      const first = args[0];
      if (first === undefined) {
        throw new UsageError(`a command is needed: ${names()}.`);
      }
      if (first.startsWith('-')) {
        const own = spec.own?.(args, invocation);
        if (own !== undefined && own !== null) return own;
        const { values, positionals } = parseCommandLine(args, HELP_OPTION);
        if (values.help) {
          invocation.stdout.write(group.help(invocation.words));
          return 0;
        }
        throw new UsageError(`the command comes before its options; got '${positionals[0] ?? first}'.`);
      }
      const command = byName.get(first);
      if (!command) throw new UsageError(`unknown command '${first}'. Commands: ${names()}.`);
      invocation.words.push(command.name);
      return command.run(args.slice(1), invocation);
    },
  };
  return group;
}
