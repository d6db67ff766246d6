import * as fs from 'node:fs';
import { LoadedTensor, TensorLike, loadSafetensors, saveSafetensors, writeFileAtomic } from '../io/safetensors';
import { l1Unstructured } from '../prune/masks';
import { CommandSpec, Parsed, UsageError } from './args';

/** The `compress` command line. */
export const COMPRESS_SPEC: CommandSpec = {
  name: 'compress',
  usage: 'nnslim compress <in.safetensors> -o <out.safetensors> [--prune <fraction>] [--quantize int8 [--per-channel]]',
  summary: 'Prune (magnitude, per tensor) and/or quantize the float32 2-D weights of a safetensors file.',
  description:
    'Every F32 tensor with 2 dimensions is compressed; other tensors are copied unchanged. Prints, per tensor,\n' +
    'the sparsity, the error against the original (max |diff| and relative RMS) and the sizes.',
  positionals: { names: ['in.safetensors'], required: 1 },
  options: [
    { name: 'output', alias: 'o', type: 'string', value: '<out.safetensors>', help: 'Output file (required)' },
    { name: 'prune', type: 'number', value: '<fraction>', min: 0, max: 0.999999, help: 'Fraction of each weight tensor to zero, smallest magnitudes first' },
    { name: 'quantize', type: 'choice', choices: ['int8'], value: 'int8', help: 'Quantize to int8 (symmetric; weight + .scale + .zero_point tensors)' },
    { name: 'per-channel', type: 'flag', help: 'One scale per output row instead of one per tensor' },
  ],
};

interface QuantModule {
  quantizePerTensor?: (x: unknown, scale: number, zeroPoint: number, dtype: string) => { data?: unknown };
  quantizePerChannel?: (x: unknown, scales: Float32Array | number[], zeroPoints: Int32Array | number[], axis: number, dtype: string) => { data?: unknown };
  MinMaxObserver?: new (o: object) => { observe(x: unknown): unknown; calculateQParams(): { scale: number; zeroPoint: number } };
  PerChannelMinMaxObserver?: new (o: object) => { observe(x: unknown): unknown; calculateQParams(): { scales: ArrayLike<number>; zeroPoints: ArrayLike<number> } };
}

/** lib/quant when it provides what int8 compression needs, else null. */
export function loadQuant(): Required<QuantModule> | null {
  let q: QuantModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    q = require('../quant') as QuantModule;
  } catch {
    return null;
  }
  const ok = typeof q.quantizePerTensor === 'function' && typeof q.quantizePerChannel === 'function' &&
    typeof q.MinMaxObserver === 'function' && typeof q.PerChannelMinMaxObserver === 'function';
  return ok ? (q as Required<QuantModule>) : null;
}

function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}

/** Runs `compress`; returns the exit code. */
export function runCompress(p: Parsed, out: (line: string) => void): number {
  const input = p.positionals[0];
  const output = p.options.output as string | undefined;
  const prune = p.options.prune as number | undefined;
  const quantize = p.options.quantize as string | undefined;
  const perChannel = p.options['per-channel'] === true;
  if (output === undefined) throw new UsageError('missing -o <out.safetensors>');
  if (prune === undefined && quantize === undefined) throw new UsageError('nothing to do: give --prune <fraction> and/or --quantize int8');
  if (perChannel && quantize === undefined) throw new UsageError('--per-channel needs --quantize int8');
  if (!fs.existsSync(input)) throw new UsageError(`no file ${input}`);
  const quant = quantize !== undefined ? loadQuant() : null;
  if (quantize !== undefined && quant === null) {
    throw new UsageError('--quantize int8 is not available in this build: lib/quant does not provide quantizePerTensor/quantizePerChannel yet');
  }
  const { tensors, metadata } = loadSafetensors(input);
  const result: Record<string, TensorLike> = {};
  let before = 0, after = 0, compressed = 0;
  out(`${'tensor'.padEnd(32)} ${'shape'.padEnd(14)} ${'sparsity'.padStart(8)} ${'max|err|'.padStart(10)} ${'rel RMS'.padStart(9)} ${'bytes in'.padStart(10)} ${'bytes out'.padStart(10)}`);
  for (const [name, t] of Object.entries(tensors)) {
    const inBytes = t.data.byteLength;
    before += inBytes;
    if (t.dtype !== 'F32' || t.shape.length !== 2 || t.data.length === 0) {
      result[name] = t;
      after += inBytes;
      continue;
    }
    compressed++;
    const w = t.data as Float32Array;
    const pruned = w.slice();
    if (prune !== undefined && prune > 0) {
      const mask = l1Unstructured(pruned, { amount: prune });
      for (let i = 0; i < mask.length; i++) if (!mask[i]) pruned[i] = 0;
    }
    let approx = pruned;
    let outBytes = pruned.byteLength;
    if (quant) {
      const q = quantizeWeights(quant, pruned, t, perChannel);
      result[name] = { data: q.values, shape: t.shape };
      result[`${name}.scale`] = { data: q.scales, shape: [q.scales.length] };
      result[`${name}.zero_point`] = { data: q.zeroPoints, shape: [q.zeroPoints.length] };
      approx = q.dequantized;
      outBytes = q.values.byteLength + q.scales.byteLength + q.zeroPoints.byteLength;
    } else {
      result[name] = { data: pruned, shape: t.shape };
    }
    after += outBytes;
    let maxErr = 0, errSq = 0, refSq = 0, zeros = 0;
    for (let i = 0; i < w.length; i++) {
      const e = Math.abs(w[i] - approx[i]);
      if (e > maxErr) maxErr = e;
      errSq += e * e;
      refSq += w[i] * w[i];
      if (approx[i] === 0) zeros++;
    }
    const rel = refSq > 0 ? Math.sqrt(errSq / refSq) : 0;
    out(`${name.padEnd(32)} ${`[${t.shape.join(', ')}]`.padEnd(14)} ${`${((zeros / w.length) * 100).toFixed(1)}%`.padStart(8)} ${maxErr.toExponential(2).padStart(10)} ${rel.toFixed(4).padStart(9)} ${fmtBytes(inBytes).padStart(10)} ${fmtBytes(outBytes).padStart(10)}`);
  }
  if (compressed === 0) out('(no float32 2-D tensors: everything copied unchanged)');
  const meta: Record<string, string> = { ...metadata, 'nnslim.compress': JSON.stringify({ prune: prune ?? 0, quantize: quantize ?? null, perChannel }) };
  const bytes = saveSafetensors(result, meta);
  writeFileAtomic(output, bytes);
  out(`tensor data: ${fmtBytes(before)} -> ${fmtBytes(after)}; file ${fmtBytes(fs.statSync(input).size)} -> ${fmtBytes(bytes.length)} (${output})`);
  return 0;
}

function quantizeWeights(quant: Required<QuantModule>, w: Float32Array, t: LoadedTensor, perChannel: boolean) {
  const x = { data: w, shape: t.shape };
  let values: unknown;
  let scales: Float32Array;
  let zeroPoints: Int32Array;
  if (perChannel) {
    const obs = new quant.PerChannelMinMaxObserver({ dtype: 'int8', qscheme: 'per_channel_symmetric', chAxis: 0 });
    obs.observe(x);
    const qp = obs.calculateQParams();
    scales = Float32Array.from(qp.scales);
    zeroPoints = Int32Array.from(qp.zeroPoints);
    values = quant.quantizePerChannel(x, scales, zeroPoints, 0, 'int8').data;
  } else {
    const obs = new quant.MinMaxObserver({ dtype: 'int8', qscheme: 'per_tensor_symmetric' });
    obs.observe(x);
    const qp = obs.calculateQParams();
    scales = Float32Array.of(qp.scale);
    zeroPoints = Int32Array.of(qp.zeroPoint);
    values = quant.quantizePerTensor(x, qp.scale, qp.zeroPoint, 'int8').data;
  }
  if (!(values instanceof Int8Array) || values.length !== w.length) throw new Error('lib/quant returned an unexpected quantized tensor');
  const cols = t.shape[1];
  const dequantized = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = perChannel ? Math.floor(i / cols) : 0;
    dequantized[i] = (values[i] - zeroPoints[c]) * scales[c];
  }
  return { values, scales, zeroPoints, dequantized };
}
