import { describe, expect, it } from 'vitest';
import { execNodeSync, spawnNodeSync } from '../helpers/node';
import * as path from 'node:path';
import { cpuInfo, getNumThreads, setIsa, setNumThreads, nn, Tensor, Rng } from '../../lib';

const root = path.join(__dirname, '..', '..');
const dist = path.join(root, 'dist', 'index.js');

function infoWith(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnNodeSync(['-e', `console.log(JSON.stringify(require(${JSON.stringify(dist)}).cpuInfo()))`], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cpuInfo and dispatch', () => {
  it('reports arch, features, levels and kernels', () => {
    const info = cpuInfo();
    expect(['x64', 'arm64', 'arm', 'other']).toContain(info.arch);
    expect(info.supportedIsas[0]).toBe('scalar');
    expect(info.supportedIsas).toContain(info.isa);
    expect(info.supportedIsas).toContain(info.bestIsa);
    expect(typeof info.kernels.sgemm).toBe('string');
    expect(info.numThreads).toBeGreaterThanOrEqual(1);
  });

  // Set by scripts/tests/emulated.js for each emulated CPU model (its EXPECT table): a wrong dispatch
  // fails here (and qemu raises SIGILL on an instruction the model lacks).
  const expected = process.env.NNSLIM_TEST_EXPECT ? JSON.parse(process.env.NNSLIM_TEST_EXPECT) as { bestIsa: string; kernels: Record<string, string> } : null;
  it.runIf(!!expected)('detects the expected best level and kernels for this (emulated) CPU', () => {
    const info = cpuInfo();
    expect(info.bestIsa).toBe(expected!.bestIsa);
    expect(info.isa).toBe(expected!.bestIsa);
    for (const [op, suffix] of Object.entries(expected!.kernels)) expect(info.kernels[op], op).toMatch(new RegExp(`__${suffix}$`));
  });

  it('NNSLIM_ISA lowers the level and changes the kernel names', () => {
    const best = JSON.parse(infoWith({ NNSLIM_ISA: '' }).stdout);
    const scalar = JSON.parse(infoWith({ NNSLIM_ISA: 'scalar' }).stdout);
    expect(scalar.isa).toBe('scalar');
    expect(scalar.kernels.sgemm).toMatch(/scalar/);
    for (const name of Object.values(scalar.kernels) as string[]) expect(name).not.toMatch(/avx|neon|amx|vnni|dot|i8mm/);
    if (/avx|neon/.test(best.kernels.sgemm)) expect(best.kernels.sgemm).not.toBe(scalar.kernels.sgemm);
  });

  it('an unknown or unsupported NNSLIM_ISA is a clear error at load', () => {
    const r = infoWith({ NNSLIM_ISA: 'sse9' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/NNSLIM_ISA='sse9' is not a known ISA level/);
    const other = cpuInfo().arch === 'x64' ? 'neon' : 'avx2';
    const r2 = infoWith({ NNSLIM_ISA: other });
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/not supported by this CPU/);
  });

  it('setIsa validates and switches (and can go back up)', () => {
    const start = cpuInfo().isa;
    try {
      expect(setIsa('scalar')).toBe('scalar');
      expect(cpuInfo().kernels.sgemm).toMatch(/scalar/);
      const y = nn && new Tensor(new Float32Array([1, 2]), [1, 2]);
      expect(y.shape).toEqual([1, 2]);
    } finally {
      setIsa(start);
    }
    expect(() => setIsa('bogus')).toThrow(RangeError);
    expect(() => setIsa(3 as never)).toThrow(TypeError);
  });

  it('thread count is settable and validated', () => {
    const n = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(n);
    expect(getNumThreads()).toBe(n);
    expect(() => setNumThreads(0)).toThrow(RangeError);
    expect(() => setNumThreads(1.5)).toThrow(RangeError);
    expect(() => setNumThreads('2' as never)).toThrow(TypeError);
  });

  it('works from ESM import and CommonJS require', () => {
    // One child per module system: by path, and by package name (self-reference through package.json "exports") as a user would.
    const esm = execNodeSync(['--input-type=module', '-e',
      `import { cpuInfo, matmul, Tensor } from ${JSON.stringify(path.join(root, 'dist', 'index.mjs'))};` +
      `import nnslim from ${JSON.stringify(path.join(root, 'dist', 'index.mjs'))};` +
      "import { cpuInfo as byName } from 'nnslim';" +
      'const y = matmul(Tensor.from([[1,2]]), Tensor.from([[3],[4]]));' +
      'console.log(cpuInfo().isa, y.data[0], typeof nnslim.nn.Linear, byName().kernels.sgemm)'], { cwd: root, encoding: 'utf8' });
    expect(esm.trim()).toBe(`${cpuInfo().isa} 11 function ${cpuInfo().kernels.sgemm}`);
    const cjs = execNodeSync(['-e', `const n = require(${JSON.stringify(dist)}); console.log(n.cpuInfo().isa, require('nnslim').cpuInfo().kernels.sgemm)`], { cwd: root, encoding: 'utf8' });
    expect(cjs.trim()).toBe(`${cpuInfo().isa} ${cpuInfo().kernels.sgemm}`);
  });
});

describe('nn.Linear', () => {
  it('initialises like PyTorch (uniform in ±1/sqrt(in)) and is seeded', () => {
    const l1 = new nn.Linear(256, 64, { rng: new Rng(7) });
    const l2 = new nn.Linear(256, 64, { rng: new Rng(7) });
    expect(Array.from(l1.weight.data)).toEqual(Array.from(l2.weight.data));
    expect(l1.weight.shape).toEqual([64, 256]);
    const bound = 1 / 16;
    expect(l1.weight.data.every((v) => Math.abs(v) <= bound)).toBe(true);
    const mean = l1.weight.data.reduce((a, b) => a + b, 0) / l1.weight.data.length;
    const varc = l1.weight.data.reduce((a, b) => a + (b - mean) ** 2, 0) / l1.weight.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(Math.abs(varc - bound * bound / 3) / (bound * bound / 3)).toBeLessThan(0.05);
    expect(l1.bias!.data.every((v) => Math.abs(v) <= bound)).toBe(true);
  });

  it('forward = x W^T + b and backward gives the gradients', () => {
    const l = new nn.Linear(3, 2, { rng: new Rng(1) });
    l.weight.data.set([1, 2, 3, -1, 0, 1]);
    l.bias!.data.set([0.5, -0.5]);
    const y = l.forward(Tensor.from([[1, 1, 1], [2, 0, -1]]));
    expect(Array.from(y.data)).toEqual([6.5, -0.5, -0.5, -3.5]);
    const gx = l.backward(Tensor.from([[1, 0], [0, 1]]));
    expect(Array.from(gx.data)).toEqual([1, 2, 3, -1, 0, 1]);
    expect(Array.from(l.weight.grad)).toEqual([1, 1, 1, 2, 0, -1]);
    expect(Array.from(l.bias!.grad)).toEqual([1, 1]);
  });

  it('validates its arguments', () => {
    expect(() => new nn.Linear(0, 3)).toThrow(RangeError);
    expect(() => new nn.Linear(2.5, 3)).toThrow(RangeError);
    expect(() => new nn.Linear('3' as never, 3)).toThrow(TypeError);
    const l = new nn.Linear(4, 2);
    expect(() => l.forward(Tensor.zeros([2, 3]))).toThrow(/\[batch, 4\]/);
    expect(() => new nn.Linear(4, 2, { bias: 1 as never })).toThrow(TypeError);
    expect(() => l.eval().backward(Tensor.zeros([1, 2]))).toThrow(/forward/);
  });
});
