#!/usr/bin/env node
/**
 * The `nnslim` command: demo, compress, bench, info. Exit codes: 0 success, 1 failure,
 * 2 bad arguments (with a message on stderr).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CommandSpec, UsageError, formatHelp, parseArgs } from './args';

const INFO_SPEC: CommandSpec = {
  name: 'info',
  usage: 'nnslim info [--json]',
  summary: 'Show the CPU, its features, the ISA level in use and the kernel chosen for each op.',
  options: [{ name: 'json', type: 'flag', help: 'Print cpuInfo() as JSON' }],
};

const BENCH_SPEC: CommandSpec = {
  name: 'bench',
  usage: 'nnslim bench [-- <arguments for bench/run.js>]',
  summary: 'Run the benchmark suites (node bench/run.js), which write BENCHMARKS.md.',
  positionals: { names: ['args...'], required: 0 },
  options: [],
};

const COMMANDS = ['demo', 'compress', 'bench', 'info'] as const;

function topHelp(): string {
  return [
    'Usage: nnslim <command> [options]',
    '',
    'Compress neural networks (prune, quantize, distill) and run them fast on the CPU.',
    '',
    'Commands:',
    '  demo       Run the compression pipeline end to end and print the stage table (npm start)',
    '  compress   Prune and/or quantize the float32 2-D weights of a safetensors file',
    '  bench      Run the benchmark suites (writes BENCHMARKS.md)',
    '  info       Show the CPU and the kernels in use',
    '',
    'Run `nnslim <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

const packageRoot = path.resolve(__dirname, '..', '..');

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function runInfo(json: boolean, out: (s: string) => void): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cpuInfo } = require('../runtime') as typeof import('../runtime');
  const info = cpuInfo();
  if (json) {
    out(JSON.stringify(info, null, 2));
    return 0;
  }
  const features = Object.entries(info.features).filter(([, v]) => v).map(([k]) => k);
  out(`nnslim ${version()} on Node ${process.version} (${process.platform}-${process.arch})`);
  out(`arch:            ${info.arch}`);
  out(`features:        ${features.length ? features.join(' ') : '(none detected)'}`);
  out(`supported ISAs:  ${info.supportedIsas.join(', ')}`);
  out(`best ISA:        ${info.bestIsa}`);
  out(`ISA in use:      ${info.isa}${info.isa !== info.bestIsa ? ' (lowered by NNSLIM_ISA or setIsa)' : ''}`);
  out(`threads:         ${info.numThreads}`);
  out('kernels:');
  const width = Math.max(0, ...Object.keys(info.kernels).map((k) => k.length)) + 2;
  for (const [op, kernel] of Object.entries(info.kernels)) out(`  ${op.padEnd(width)}${kernel}`);
  return 0;
}

function runBench(args: string[], err: (s: string) => void): number {
  const script = path.join(packageRoot, 'bench', 'run.js');
  if (!fs.existsSync(script)) {
    err(`nnslim bench: ${script} not found (the benchmark suites are not part of this installation)`);
    return 1;
  }
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit', cwd: packageRoot });
  if (r.error) {
    err(`nnslim bench: ${r.error.message}`);
    return 1;
  }
  return r.status ?? 1;
}

/** Runs the CLI with the arguments after `nnslim`; resolves to the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'),
  err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      out(topHelp().trimEnd());
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      out(version());
      return 0;
    }
    if (!(COMMANDS as readonly string[]).includes(cmd)) throw new UsageError(`unknown command ${JSON.stringify(cmd)} (commands: ${COMMANDS.join(', ')})`);
    if (cmd === 'info') {
      const p = parseArgs(rest, INFO_SPEC);
      if (p.help) { out(formatHelp(INFO_SPEC).trimEnd()); return 0; }
      return runInfo(p.options.json === true, out);
    }
    if (cmd === 'bench') {
      const dd = rest.indexOf('--');
      const own = dd >= 0 ? rest.slice(0, dd) : rest;
      const p = parseArgs(own, { ...BENCH_SPEC, positionals: { names: [], required: 0 } });
      if (p.help) { out(formatHelp(BENCH_SPEC).trimEnd()); return 0; }
      return runBench(dd >= 0 ? rest.slice(dd + 1) : [], err);
    }
    if (cmd === 'compress') {
      const { COMPRESS_SPEC, runCompress } = await import('./compress');
      const p = parseArgs(rest, COMPRESS_SPEC);
      if (p.help) { out(formatHelp(COMPRESS_SPEC).trimEnd()); return 0; }
      return runCompress(p, out);
    }
    const { DEMO_SPEC, runDemo, resolveDemoOptions } = await import('./demo');
    const p = parseArgs(rest, DEMO_SPEC);
    if (p.help) { out(formatHelp(DEMO_SPEC).trimEnd()); return 0; }
    resolveDemoOptions(p);
    runDemo(p, out, p.options.threads as number | undefined);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`nnslim ${cmd ?? ''}: ${e.message}`.replace('nnslim : ', 'nnslim: '));
      return 2;
    }
    const code = (e as { code?: string }).code;
    err(`nnslim ${cmd}: ${(e as Error).message}`);
    if (code === undefined && process.env.NNSLIM_DEBUG) err((e as Error).stack ?? '');
    return 1;
  }
}

if (require.main === module) {
  // A closed pipe (e.g. `nnslim info | head`) ends the output quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
  }
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
