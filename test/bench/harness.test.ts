// The benchmark harness's pure helpers (bench/lib, bench/run.js, bench/gemm.js). Nothing here
// times anything; the one child process below only checks the result protocol.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { nodeCommand } from '../helpers/node';

const require = createRequire(import.meta.url);
const stats = require('../../bench/lib/stats.js');
const md = require('../../bench/lib/markdown.js');
const cpu = require('../../bench/lib/cpu.js');
const trial = require('../../bench/lib/trial.js');
const data = require('../../bench/lib/data.js');
const onnx = require('../../bench/lib/onnx.js');
const load = require('../../bench/lib/load.js');
const build = require('../../bench/lib/build.js');
const runner = require('../../bench/run.js');
const gemm = require('../../bench/gemm.js');

describe('stats', () => {
  it('median of odd, even, empty and non-finite inputs', () => {
    expect(stats.median([3, 1, 2])).toBe(2);
    expect(stats.median([4, 1, 3, 2])).toBe(2.5);
    expect(stats.median([])).toBeNaN();
    expect(stats.median([NaN, 5, Infinity, 1])).toBe(3);
  });

  it('quantile interpolates and clamps q', () => {
    expect(stats.quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(stats.quantile([0, 10], 0.25)).toBe(2.5);
    expect(stats.quantile([0, 10], 2)).toBe(10);
    expect(stats.quantile([], 0.5)).toBeNaN();
  });

  it('geomean ignores non-positive values', () => {
    expect(stats.geomean([1, 4])).toBeCloseTo(2, 12);
    expect(stats.geomean([2, 0, -1, NaN, 8])).toBeCloseTo(4, 12);
    expect(stats.geomean([])).toBeNaN();
  });

  it('gflops is 2*M*N*K over the time', () => {
    expect(stats.gemmFlops(2, 3, 4)).toBe(48);
    expect(stats.gflops(1024, 1024, 1024, 1000)).toBeCloseTo(2.147483648, 9);
    expect(stats.gflops(1, 1, 1, 0)).toBeNaN();
    expect(stats.gflops(1, 1, 1, NaN)).toBeNaN();
  });

  it('ratio needs two positive numbers', () => {
    expect(stats.ratio(3, 2)).toBe(1.5);
    expect(stats.ratio(3, 0)).toBeNaN();
    expect(stats.ratio(NaN, 2)).toBeNaN();
  });

  it('combineRounds takes the median over rounds and the spread', () => {
    const c = stats.combineRounds([{ a: 1, b: 5 }, { a: 3 }, { a: 2, b: NaN }]);
    expect(c.a).toEqual({ ms: 2, rounds: 3, spread: 0.5 });
    expect(c.b).toEqual({ ms: 5, rounds: 1, spread: 0 });
  });
});

describe('markdown', () => {
  it('formats numbers, ratios and percentages with a dash for missing values', () => {
    expect(md.fmt(123.456)).toBe('123');
    expect(md.fmt(12.345)).toBe('12.3');
    expect(md.fmt(1.2345)).toBe('1.23');
    expect(md.fmt(0.012345)).toBe('0.012');
    expect(md.fmt(NaN)).toBe(md.DASH);
    expect(md.fmtRatio(0.8149)).toBe('0.81x');
    expect(md.fmtRatio(Infinity)).toBe(md.DASH);
    expect(md.fmtPercent(0.714)).toBe('71%');
  });

  it('builds an aligned table and escapes pipes', () => {
    const t = md.table([{ title: 'name' }, { title: 'v', align: 'right' }], [['a|b', 1], ['c', 22.5]]);
    expect(t.split('\n')).toEqual([
      '| name |    v |',
      '|:-----|-----:|',
      '| a\\|b |    1 |',
      '| c    | 22.5 |',
    ]);
  });

  it('upserts sections in place, before an anchor, or at the end, keeping the rest byte for byte', () => {
    let doc = '# T\n\nhand text\n';
    doc = md.upsertSection(doc, 'reproduce', 'R1');
    doc = md.upsertSection(doc, 'gemm', 'G1', { before: 'reproduce' });
    expect(md.listSections(doc).map((s: { id: string }) => s.id)).toEqual(['gemm', 'reproduce']);
    expect(doc.startsWith('# T\n\nhand text\n\n<!-- section:gemm:start -->\nG1\n')).toBe(true);
    const again = md.upsertSection(doc, 'gemm', 'G2\nmore', { before: 'reproduce' });
    expect(md.getSection(again, 'gemm')).toBe('G2\nmore');
    expect(md.getSection(again, 'reproduce')).toBe('R1');
    expect(again.replace('G2\nmore', 'G1')).toBe(doc);
    expect(md.getSection(doc, 'missing')).toBeNull();
    expect(() => md.wrapSection('Bad Id', 'x')).toThrow(RangeError);
  });
});

describe('run.js', () => {
  it('parses options and rejects unknown ones', () => {
    const o = runner.parseArgs(['--quick', '--rounds=2', '--suite=gemm', '--no-ort']);
    expect(o).toMatchObject({ quick: true, rounds: 2, suites: ['gemm'], skipOrt: true, build: true });
    expect(runner.parseArgs([]).quick).toBe(false);
    expect(runner.parseArgs(['--frame-only']).suites).toEqual([]);
    expect(() => runner.parseArgs(['--fast'])).toThrow(RangeError);
    expect(() => runner.parseArgs(['--rounds=0'])).toThrow(RangeError);
    expect(() => runner.parseArgs(['--suite=nope'])).toThrow(/unknown suite/);
  });

  it('renders title, intro, suites and reproduce in order, and keeps an edited intro', () => {
    const first = runner.renderDocument('', [{ id: 'gemm', markdown: '## float32 GEMM\nv1' }]);
    expect(first.startsWith('# nnslim benchmarks\n')).toBe(true);
    expect(md.listSections(first).map((s: { id: string }) => s.id)).toEqual(['intro', 'gemm', 'reproduce']);
    expect(md.getSection(first, 'reproduce')).toContain('npm run bench');
    const edited = first.replace(runner.DEFAULT_INTRO, 'Our own words.');
    const second = runner.renderDocument(edited, [{ id: 'gemm', markdown: '## float32 GEMM\nv2' }]);
    expect(md.getSection(second, 'intro')).toBe('Our own words.');
    expect(md.getSection(second, 'gemm')).toBe('## float32 GEMM\nv2');
    expect(runner.renderDocument(second, [{ id: 'gemm', markdown: '## float32 GEMM\nv2' }])).toBe(second);
  });
});

describe('peer pins', () => {
  it('reads the onnxruntime-node version bench/peers/ort pins, with a fallback', () => {
    const dir = new URL('../../bench/peers/ort', import.meta.url).pathname;
    expect(build.pinnedOrtVersion(dir)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(build.pinnedOrtVersion('/nonexistent')).toBe(build.ORT_VERSION);
  });
});

describe('gemm suite definition', () => {
  it('has the issue\'s shapes: M in {1,8,64,256} x 3 (K, N) pairs plus 1024^3; quick is a subset', () => {
    const full = gemm.shapes(false).map(data.shapeKey);
    expect(full).toHaveLength(13);
    for (const m of [1, 8, 64, 256]) {
      for (const kn of ['768x768', '768x3072', '3072x768']) expect(full).toContain(`${m}x${kn}`);
    }
    expect(full).toContain('1024x1024x1024');
    const quick = gemm.shapes(true).map(data.shapeKey);
    expect(quick.length).toBeLessThan(full.length);
    for (const s of quick) expect(full).toContain(s);
  });

  it('maps ISA levels to the FMA peak that bounds them', () => {
    expect(gemm.peakKeyForIsa('avx512vnni')).toBe('avx512');
    expect(gemm.peakKeyForIsa('avx2')).toBe('avx2');
    expect(gemm.peakKeyForIsa('avxvnni')).toBe('avx2');
    expect(gemm.peakKeyForIsa('dotprod')).toBe('neon');
    expect(gemm.peakKeyForIsa('scalar')).toBeNull();
  });
});

describe('cpu description', () => {
  const x86 = [
    'processor\t: 0', 'vendor_id\t: GenuineIntel', 'cpu family\t: 6', 'model\t\t: 143',
    'model name\t: Intel(R) Xeon(R) Platinum 8480+', 'stepping\t: 8', 'cpu MHz\t\t: 2000.000',
    'flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni amx_tile hypervisor', '',
    'processor\t: 1', 'model name\t: Intel(R) Xeon(R) Platinum 8480+', 'flags\t\t: fpu', '',
  ].join('\n');
  const arm = ['processor\t: 0', 'BogoMIPS\t: 50.00', 'Features\t: fp asimd asimddp i8mm', 'CPU implementer\t: 0x41', 'CPU part\t: 0xd0c', '',
    'processor\t: 1', 'Features\t: fp asimd asimddp i8mm', ''].join('\n');

  it('parses x86 and ARM layouts', () => {
    const a = cpu.parseCpuinfo(x86);
    expect(a).toMatchObject({ model: 'Intel(R) Xeon(R) Platinum 8480+', family: 6, modelNumber: 143, stepping: 8, mhz: 2000, logicalCpus: 2, hypervisor: true });
    expect(cpu.simdFlags(a.flags)).toEqual(['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512_vnni', 'amx_tile']);
    expect(cpu.describeCpu(a, { cpus: 2, caches: 'L2 2 MiB' })).toBe(
      'Intel(R) Xeon(R) Platinum 8480+ (family 6, model 143, stepping 8), 2 logical CPUs, 2000 MHz, L2 2 MiB, virtual machine');
    const b = cpu.parseCpuinfo(arm);
    expect(b.model).toBe('ARM implementer 0x41 part 0xd0c');
    expect(b.family).toBeNull();
    expect(cpu.simdFlags(b.flags)).toEqual(['asimd', 'asimddp', 'i8mm']);
    expect(cpu.parseCpuinfo('').model).toBeNull();
  });

  it('formats sysfs cache sizes', () => {
    expect(cpu.formatCacheSize('48K')).toBe('48 KiB');
    expect(cpu.formatCacheSize('1024K')).toBe('1 MiB');
    expect(cpu.formatCacheSize('32768K')).toBe('32 MiB');
    expect(cpu.formatCacheSize('1536K')).toBe('1536 KiB');
  });
});

describe('trial protocol', () => {
  it('finds the last tagged JSON line', () => {
    const out = `noise\n${trial.MARKER} {"a":1}\nmore\n${trial.MARKER} {"a":2}\n`;
    expect(trial.parseTrialOutput(out)).toEqual({ a: 2 });
    expect(() => trial.parseTrialOutput('nothing here')).toThrow(/no result line/);
  });

  it('runs a child and reports its result or its failure without throwing', async () => {
    const [cmd, args] = nodeCommand(['-e', `console.log('x'); console.log('${trial.MARKER} ' + JSON.stringify({ v: process.env.NNB_V }))`]);
    const ok = await trial.runTrial({ cmd, args, env: { NNB_V: 7 } });
    expect(ok).toMatchObject({ ok: true, result: { v: '7' } });
    const [badCmd, badArgs] = nodeCommand(['-e', 'console.error("boom"); process.exit(3)']);
    const bad = await trial.runTrial({ cmd: badCmd, args: badArgs });
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('boom');
    const missing = await trial.runTrial({ cmd: '/nonexistent/nnslim-bench-tool' });
    expect(missing.ok).toBe(false);
  });
});

describe('machine load', () => {
  it('parses the aggregate cpu line of /proc/stat and turns jiffies into busy CPUs', () => {
    const text = 'cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 50 2 25 400 10 0 1 1 0 0\nintr 1 2\n';
    expect(load.parseProcStat(text)).toEqual({ busy: 161, total: 981 });
    expect(load.parseProcStat('intr 1 2')).toBeNull();
    // 150 jiffies (1.5 CPU-seconds) in 1000 ms: 1.5 CPUs busy
    expect(load.busyCpus({ busy: 100, total: 0 }, { busy: 250, total: 0 }, 1000)).toBeCloseTo(1.5, 12);
    expect(load.busyCpus(null, { busy: 1, total: 1 }, 1000)).toBeNaN();
  });
});

describe('inputs and checks', () => {
  it('uniform is deterministic and in [-1, 1)', () => {
    const a = data.uniform(1000, 42);
    expect(Array.from(a)).toEqual(Array.from(data.uniform(1000, 42)));
    expect(Array.from(a)).not.toEqual(Array.from(data.uniform(1000, 43)));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
  });

  it('transpose and spotCheck', () => {
    expect(Array.from(data.transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    const m = 3, k = 4, n = 2;
    const x = data.uniform(m * k, 1);
    const w = data.uniform(n * k, 2);
    const y = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) y[i * n + j] += x[i * k + p] * w[j * k + p];
    expect(data.spotCheck(x, w, y, m, k, n)).toBeLessThan(1e-6);
    y[0] += 1;
    expect(data.spotCheck(x, w, y, m, k, n)).toBeGreaterThan(1e-3);
  });

  it('shape keys round-trip', () => {
    expect(data.parseShape(data.shapeKey({ m: 8, k: 768, n: 3072 }))).toEqual({ m: 8, k: 768, n: 3072 });
    expect(() => data.parseShape('8x768')).toThrow(RangeError);
    expect(() => data.parseShape('0x1x1')).toThrow(RangeError);
  });
});

describe('ONNX protobuf encoder', () => {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const field = (fields: { field: number; value: unknown }[], n: number) => fields.filter((f) => f.field === n);

  it('encodes varints', () => {
    expect(Array.from(onnx.varint(0))).toEqual([0]);
    expect(Array.from(onnx.varint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(onnx.varint(2 ** 35))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(() => onnx.varint(-1)).toThrow(RangeError);
  });

  it('builds a ModelProto with one MatMul node, opset 13, IR 8, and W as an initializer', () => {
    const m = 2, k = 3, n = 4;
    const w = Float32Array.from({ length: k * n }, (_, i) => i / 2);
    const model = onnx.decodeFields(onnx.matmulModel({ m, k, n, weights: w }));
    expect(field(model, 1)[0].value).toBe(8);
    const opset = onnx.decodeFields(field(model, 8)[0].value);
    expect(text(field(opset, 1)[0].value)).toBe('');
    expect(field(opset, 2)[0].value).toBe(13);
    const graph = onnx.decodeFields(field(model, 7)[0].value);
    const nodes = field(graph, 1).map((f) => onnx.decodeFields(f.value));
    expect(nodes).toHaveLength(1);
    expect(text(field(nodes[0], 4)[0].value)).toBe('MatMul');
    expect(field(nodes[0], 1).map((f) => text(f.value as Uint8Array))).toEqual(['X', 'W']);
    expect(field(nodes[0], 2).map((f) => text(f.value as Uint8Array))).toEqual(['Y']);
    const init = onnx.decodeFields(field(graph, 5)[0].value);
    expect(field(init, 1).map((f) => f.value)).toEqual([k, n]);
    expect(field(init, 2)[0].value).toBe(1);
    expect(text(field(init, 8)[0].value)).toBe('W');
    const raw = field(init, 9)[0].value as Uint8Array;
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual(Array.from(w));
    const inputs = field(graph, 11).map((f) => text(field(onnx.decodeFields(f.value), 1)[0].value));
    expect(inputs).toEqual(['X']);
    const dims = (vi: Uint8Array) => {
      const type = onnx.decodeFields(field(onnx.decodeFields(vi), 2)[0].value);
      const tensor = onnx.decodeFields(field(type, 1)[0].value);
      expect(field(tensor, 1)[0].value).toBe(1);
      return field(onnx.decodeFields(field(tensor, 2)[0].value), 1).map((d) => field(onnx.decodeFields(d.value), 1)[0].value);
    };
    expect(dims(field(graph, 11)[0].value)).toEqual([m, k]);
    expect(dims(field(graph, 12)[0].value)).toEqual([m, n]);
  });

  it('makes W a second input when no weights are given, and validates sizes', () => {
    const graph = onnx.decodeFields(field(onnx.decodeFields(onnx.matmulModel({ m: 1, k: 2, n: 3 })), 7)[0].value);
    expect(field(graph, 5)).toHaveLength(0);
    expect(field(graph, 11)).toHaveLength(2);
    expect(() => onnx.matmulModel({ m: 0, k: 2, n: 3 })).toThrow(RangeError);
    expect(() => onnx.matmulModel({ m: 1, k: 2, n: 3, weights: new Float32Array(5) })).toThrow(RangeError);
  });
});
