import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, io } from '../../lib';
import { main as cliMain } from '../../lib/cli/main';
import { emulated } from '../helpers/emu';
import { nodeCommand } from '../helpers/node';

const root = path.resolve(__dirname, '..', '..');
const main = path.join(root, 'dist', 'cli', 'main.js');
let tmp = '';

type Result = { code: number | null; out: string; err: string };

function run(...args: string[]): Result {
  const [cmd, argv] = nodeCommand([main, ...args]);
  const r = spawnSync(cmd, argv, { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// Under emulation a Node start costs seconds: the many help and usage-error cases call the CLI's
// main() in this process (the same code); the executable itself is still spawned by the other tests.
async function runCases(...args: string[]): Promise<Result> {
  if (!emulated) return run(...args);
  const out: string[] = [];
  const err: string[] = [];
  const code = await cliMain(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.map((l) => `${l}\n`).join(''), err: err.map((l) => `${l}\n`).join('') };
}

beforeAll(() => {
  // Type errors elsewhere in the tree still emit JavaScript; the CLI tests only need dist/cli.
  // (scripts/run-tests.js builds dist/ before the emulated runs, where tsc would take minutes.)
  if (!emulated) spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'pipe' });
  if (!fs.existsSync(main)) throw new Error(`${main} was not built (npx tsc -p tsconfig.json)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-cli-'));
  return () => fs.rmSync(tmp, { recursive: true, force: true });
}, 180_000);

describe('nnslim CLI', () => {
  it('prints help for the command and every subcommand', async () => {
    const top = run('--help');
    expect(top.code).toBe(0);
    for (const c of ['demo', 'compress', 'bench', 'info']) expect(top.out).toContain(c);
    for (const c of ['demo', 'compress', 'bench', 'info']) {
      const r = await runCases(c, '--help');
      expect(r.code, c).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: nnslim ${c}`));
      expect(r.out).toContain('--help');
    }
    expect((await runCases('demo', '--help')).out).toContain('--teacher-hidden');
    expect((await runCases('compress', '-h')).out).toContain('--per-channel');
  });

  it('exits 2 with a message on bad arguments', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['demo', '--bogus'], /unknown option --bogus/],
      [['demo', '--epochs', 'abc'], /--epochs: expected an integer/],
      [['demo', '--epochs'], /--epochs needs a value/],
      [['demo', '--sparsity', '2'], /--sparsity: expected a number in \[0, 0.999\]/],
      [['demo', '--neurons', '1'], /--neurons: expected a number in \[0, 0.99\]/],
      [['demo', '--importance', 'random'], /--importance: expected one of l1, l2, apoz, meanActivation/],
      [['demo', '--finetune-lr', '0'], /--finetune-lr: expected a number/],
      [['demo', '--batch-size', '1'], /--batch-size: expected an integer in \[2/],
      [['demo', '--teacher-hidden', '64,x'], /comma-separated integers/],
      [['demo', '--data', '/nonexistent/folder'], /no folder/],
      [['demo', '--verbose', '--quiet'], /exclude/],
      [['demo', 'extra'], /unexpected argument "extra"/],
      [['compress'], /missing <in.safetensors>/],
      [['compress', 'missing.safetensors', '-o', 'x.safetensors', '--prune', '0.5'], /no file missing.safetensors/],
      [['compress', 'a.safetensors', '--prune', '0.5'], /missing -o/],
      [['compress', 'a.safetensors', '-o', 'b.safetensors'], /nothing to do/],
      [['compress', 'a.safetensors', '-o', 'b.safetensors', '--prune', '1.5'], /--prune: expected a number/],
      [['compress', 'a.safetensors', '-o', 'b.safetensors', '--quantize', 'int4'], /one of int8/],
      [['info', '--fast'], /unknown option --fast/],
    ];
    const spawned = run('demo', '--bogus');
    expect(spawned.code).toBe(2);
    expect(spawned.err).toMatch(/unknown option --bogus/);
    for (const [args, re] of cases) {
      const r = await runCases(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err + r.out, args.join(' ')).toMatch(re);
    }
  });

  it('info prints cpuInfo nicely and as JSON', () => {
    const r = run('info');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ISA in use:\s+\w+/);
    expect(r.out).toMatch(/sgemm\s+f32_gemm/);
    const j = run('info', '--json');
    expect(JSON.parse(j.out).supportedIsas).toContain('scalar');
  });

  it('compress prunes float32 2-D weights, copies the rest, and rejects corrupt files', async () => {
    const input = path.join(tmp, 'in.safetensors');
    const w = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    io.saveSafetensorsFile(input, { 'fc.weight': new Tensor(w, [64, 32]), 'fc.bias': new Tensor(new Float32Array(64).fill(1), [64]), idx: { data: Int32Array.of(1, 2), shape: [2] } }, { source: 'test' });
    const r = await runCases('compress', input, '-o', path.join(tmp, 'out.safetensors'), '--prune', '0.75');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/fc\.weight\s+\[64, 32\]\s+75\.0%/);
    const outT = io.loadSafetensors(path.join(tmp, 'out.safetensors'));
    let zeros = 0;
    for (const v of outT.tensors['fc.weight'].data) if (v === 0) zeros++;
    expect(zeros).toBe(64 * 32 * 0.75);
    expect(Array.from(outT.tensors['fc.bias'].data)).toEqual(new Array(64).fill(1));
    expect(Array.from(outT.tensors.idx.data)).toEqual([1, 2]);
    expect(outT.metadata.source).toBe('test');
    const q = await runCases('compress', input, '-o', path.join(tmp, 'q.safetensors'), '--quantize', 'int8', '--per-channel');
    if (q.code === 2) {
      expect(q.err).toMatch(/int8 is not available/);
    } else {
      expect(q.code, q.err).toBe(0);
      const qt = io.loadSafetensors(path.join(tmp, 'q.safetensors')).tensors;
      expect(qt['fc.weight'].dtype).toBe('I8');
      expect(qt['fc.weight.scale'].shape).toEqual([64]);
    }
    const bad = path.join(tmp, 'bad.safetensors');
    fs.writeFileSync(bad, fs.readFileSync(input).subarray(0, 50));
    const b = await runCases('compress', bad, '-o', path.join(tmp, 'x.safetensors'), '--prune', '0.5');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/bad\.safetensors: /);
  });

  it('demo runs the stages, prints the table and writes the report', () => {
    const out = path.join(tmp, 'report');
    // Under emulation one epoch per stage: every stage still runs, trains, saves and reloads.
    const e = (n: number) => String(emulated ? 1 : n);
    const r = run('demo', '--epochs', e(3), '--student-epochs', e(3), '--prune-epochs', e(3), '--finetune-epochs', e(2), '--latency-ms', emulated ? '10' : '50', '--out', out, '--quiet', '--threads', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/stage\s+test acc\s+params\s+bytes on disk\s+latency b1 \(ms\)\s+latency b64 \(ms\)\s+speed-up b1\s+speed-up b64/);
    expect(r.out).toMatch(/teacher \(float32\) \*\s+\d+\.\d\d%/);
    for (const stage of ['student (distilled)', 'pruned (gradual)', 'structured (neurons)', 'fold BatchNorm', 'int8 (static)', 'fastest kernels']) {
      expect(r.out.split('\n').filter((l) => l.startsWith(stage)).length, stage).toBe(2); // its row, and its row of the final table
    }
    expect(r.out).toMatch(/Final table/);
    expect(r.out).toMatch(/\[(yes|NO )\] int8: 2 of 2 Linear layers/);
    expect(r.out).toMatch(/\[yes\] every stage saved/);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('| teacher (float32) * |');
    expect(md).toContain('| structured (neurons) |');
    expect(fs.readFileSync(path.join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const teacher = io.loadModel(path.join(out, 'teacher-float32.safetensors'));
    expect(teacher.layers.map((l) => l.constructor.name)).toEqual(['Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear']);
    // Bytes on disk are the real file sizes.
    const size = fs.statSync(path.join(out, 'fastest-kernels.safetensors')).size;
    expect(md).toMatch(new RegExp(`${(size / 1024).toFixed(1)} KB|${size} B`));
    const final = io.loadModel(path.join(out, 'fastest-kernels.safetensors'));
    expect(final.layers.every((l) => ['QuantizedLinear', 'CsrLinear'].includes(l.constructor.name))).toBe(true);
    // A saved teacher can be reused; float-only pipeline without BatchNorm.
    const again = run('demo', '--teacher', path.join(out, 'teacher-float32.safetensors'), '--student-epochs', e(2), '--prune-epochs', e(2), '--finetune-epochs', '0', '--latency-ms', '20', '--out', path.join(tmp, 'r2'), '--quiet', '--no-quantize', '--no-batchnorm', '--student-hidden', '8', '--neurons', '0');
    expect(again.code, again.err).toBe(0);
    expect(again.out).not.toMatch(/int8 \(static\)\s+\d/);
    expect(again.out).toMatch(/\[NO \] int8: 0 of 2 Linear layers/);
    const bad = run('demo', '--teacher', path.join(out, 'report.md'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/report\.md: /);
  });
});
