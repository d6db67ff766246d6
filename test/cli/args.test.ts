import { describe, expect, it } from 'vitest';
import { CommandSpec, UsageError, formatHelp, parseArgs } from '../../lib/cli/args';

const spec: CommandSpec = {
  name: 't', usage: 'nnslim t <a> [b]', summary: 'test', positionals: { names: ['a', 'b'], required: 1 },
  options: [
    { name: 'out', alias: 'o', type: 'string', help: 'out', default: 'x' },
    { name: 'n', type: 'int', min: 1, max: 10, help: 'n' },
    { name: 'r', type: 'number', min: 0, max: 1, help: 'r' },
    { name: 'sizes', type: 'ints', help: 'sizes' },
    { name: 'mode', type: 'choice', choices: ['a', 'b'], help: 'mode' },
    { name: 'flag', type: 'flag', help: 'flag', default: true },
  ],
};

describe('parseArgs', () => {
  it('parses every kind of option', () => {
    const p = parseArgs(['in', '-o', 'f', '--n=3', '--r', '0.5', '--sizes', '4,5', '--mode', 'b', '--no-flag', '--', '--weird'], spec);
    expect(p.positionals).toEqual(['in', '--weird']);
    expect(p.options).toEqual({ out: 'f', n: 3, r: 0.5, sizes: [4, 5], mode: 'b', flag: false });
    expect(parseArgs(['in'], spec).options.out).toBe('x');
    expect(parseArgs(['--help'], spec).help).toBe(true);
  });
  it('rejects bad input with UsageError', () => {
    for (const argv of [[], ['a', 'b', 'c'], ['a', '--n', '0'], ['a', '--n', '1.5'], ['a', '--r', 'x'], ['a', '--r', ''], ['a', '--mode', 'c'],
      ['a', '--sizes', '1,,2'], ['a', '--flag=1'], ['a', '--zzz'], ['a', '-q'], ['a', '--out']]) {
      expect(() => parseArgs(argv, spec), argv.join(' ')).toThrow(UsageError);
    }
  });
  it('formats help with defaults', () => {
    const h = formatHelp(spec);
    expect(h).toContain('Usage: nnslim t <a> [b]');
    expect(h).toMatch(/-o, --out <value>\s+out \(default: x\)/);
    expect(h).toContain('-h, --help');
  });
});
