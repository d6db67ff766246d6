/** A bad command line: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_NNSLIM_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** Long name without dashes, e.g. 'teacher-hidden'. */
  name: string;
  /** One-letter alias, e.g. 'o'. */
  alias?: string;
  /** 'flag' takes no value; `--no-<name>` sets false. */
  type: 'flag' | 'string' | 'number' | 'int' | 'ints' | 'choice';
  choices?: readonly string[];
  /** Bounds for numbers (inclusive). */
  min?: number;
  max?: number;
  /** Placeholder shown in the help, e.g. '<dir>'. */
  value?: string;
  help: string;
  default?: string | number | boolean | number[];
}

/** A command: its usage line, description, positional arguments and options. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  /** Positional argument names (in order) and how many are required. */
  positionals?: { names: string[]; required: number };
  options: OptionSpec[];
  description?: string;
}

/** Parsed command line. */
export interface Parsed {
  positionals: string[];
  options: Record<string, string | number | boolean | number[] | undefined>;
  help: boolean;
}

function parseValue(spec: OptionSpec, raw: string): string | number | number[] {
  const bad = (expected: string) => new UsageError(`--${spec.name}: expected ${expected} but received ${JSON.stringify(raw)}`);
  const inRange = (v: number) => (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
  const range = spec.min !== undefined || spec.max !== undefined ? ` in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]` : '';
  switch (spec.type) {
    case 'number': {
      const v = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(v) || !inRange(v)) throw bad(`a number${range}`);
      return v;
    }
    case 'int': {
      const v = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(v) || !inRange(v)) throw bad(`an integer${range}`);
      return v;
    }
    case 'ints': {
      const parts = raw.split(',');
      const vals = parts.map((p) => (/^\d+$/.test(p.trim()) ? Number(p.trim()) : NaN));
      if (vals.length === 0 || vals.some((v) => !Number.isSafeInteger(v) || !inRange(v))) throw bad(`comma-separated integers${range}`);
      return vals;
    }
    case 'choice':
      if (!spec.choices?.includes(raw)) throw bad(`one of ${spec.choices?.join(', ')}`);
      return raw;
    default:
      if (raw === '') throw bad('a non-empty value');
      return raw;
  }
}

/**
 * Parses argv (after the command name) against a command spec: `--name value`, `--name=value`,
 * `-a value`, flags `--name` / `--no-name`, `--` ends the options. Throws UsageError.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): Parsed {
  const options: Parsed['options'] = {};
  for (const o of spec.options) options[o.name] = o.default;
  const positionals: string[] = [];
  let help = false;
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byAlias = new Map(spec.options.filter((o) => o.alias).map((o) => [o.alias as string, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('--') || (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg))) {
      let name: string;
      let inline: string | undefined;
      let o: OptionSpec | undefined;
      if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
        inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
        o = byName.get(name);
        if (!o && name.startsWith('no-')) {
          const neg = byName.get(name.slice(3));
          if (neg && neg.type === 'flag' && inline === undefined) {
            options[neg.name] = false;
            continue;
          }
        }
      } else {
        name = arg.slice(1);
        o = byAlias.get(name);
      }
      if (!o) throw new UsageError(`unknown option ${arg} for '${spec.name}' (see nnslim ${spec.name} --help)`);
      if (o.type === 'flag') {
        if (inline !== undefined) throw new UsageError(`--${o.name} takes no value`);
        options[o.name] = true;
        continue;
      }
      let raw = inline;
      if (raw === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`--${o.name} needs a value ${o.value ?? ''}`.trim());
        raw = argv[++i];
      }
      options[o.name] = parseValue(o, raw);
      continue;
    }
    positionals.push(arg);
  }
  if (!help) {
    const pos = spec.positionals ?? { names: [], required: 0 };
    if (positionals.length < pos.required) throw new UsageError(`missing ${pos.names.slice(positionals.length, pos.required).map((n) => `<${n}>`).join(' ')} (usage: ${spec.usage})`);
    if (positionals.length > pos.names.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[pos.names.length])} (usage: ${spec.usage})`);
  }
  return { positionals, options, help };
}

/** The `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  lines.push('', 'Options:');
  const rows = spec.options.map((o) => {
    const left = `${o.alias ? `-${o.alias}, ` : '    '}--${o.name}${o.type === 'flag' ? '' : ` ${o.value ?? '<value>'}`}`;
    const dflt = o.default !== undefined && o.type !== 'flag' ? ` (default: ${Array.isArray(o.default) ? o.default.join(',') : o.default})` : '';
    return [left, `${o.help}${dflt}`];
  });
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [l, r] of rows) lines.push(`  ${l.padEnd(width)}${r}`);
  return lines.join('\n') + '\n';
}
