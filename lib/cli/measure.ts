import { saveModel } from '../io/model';
import { Sequential } from '../nn/sequential';
import { Rng } from '../random';
import { Tensor } from '../tensor';

/** Median of the values (NaN for none). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options of {@link measureLatency}. */
export interface LatencyOptions {
  /** Runs at least this many timed repetitions. Default 15. */
  minRuns?: number;
  /** Stops after this many repetitions. Default 500. */
  maxRuns?: number;
  /** Time budget in ms once minRuns are done. Default 400. */
  budgetMs?: number;
}

/**
 * Median wall time (ms) of `run(x)` on a fixed random batch of `batch` rows, after warm-up runs.
 */
export function measureLatency(run: (x: Tensor) => unknown, batch: number, features: number, options: LatencyOptions = {}): number {
  const { minRuns = 15, maxRuns = 500, budgetMs = 400 } = options;
  const rng = new Rng(batch);
  const x = new Tensor(Float32Array.from({ length: batch * features }, () => rng.random()), [batch, features]);
  for (let i = 0; i < 3; i++) run(x);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    run(x);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Non-zero weights and biases of a model, and their total: trainable parameters, or for
 * inference-only layers their stored weights (quantized `weight.data`, CSR `values`) and bias.
 */
export function countParams(model: Sequential): { nonzero: number; total: number } {
  let nonzero = 0, total = 0;
  const add = (a: ArrayLike<number>) => {
    total += a.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) nonzero++;
  };
  for (const layer of model.layers) {
    const params = layer.parameters?.() ?? [];
    if (params.length > 0) {
      for (const p of params) add(p.data);
      continue;
    }
    const l = layer as { weight?: { data?: unknown; values?: unknown }; csr?: { values?: unknown }; bias?: unknown };
    for (const a of [l.weight?.data, l.weight?.values, l.csr?.values, l.bias]) {
      if (ArrayBuffer.isView(a) && !(a instanceof DataView)) add(a as unknown as ArrayLike<number>);
    }
  }
  return { nonzero, total };
}

/**
 * Bytes of the model saved with io.saveModel; for layers without a registered codec, an estimate:
 * their state-dict tensors plus quantized weights (`weight.data`, scales, zero points) and CSR arrays.
 */
export function modelBytes(model: Sequential): { bytes: number; estimated: boolean } {
  try {
    return { bytes: saveModel(model).length, estimated: false };
  } catch {
    let n = 0;
    for (const layer of model.layers) {
      const sd = new Sequential(layer).stateDict();
      for (const t of Object.values(sd)) n += t.data.byteLength;
      const w = (layer as { weight?: { data?: unknown; scales?: unknown; zeroPoints?: unknown } }).weight;
      if (w && (w.data instanceof Int8Array || w.data instanceof Uint8Array)) {
        n += w.data.byteLength;
        for (const extra of [w.scales, w.zeroPoints]) if (ArrayBuffer.isView(extra)) n += extra.byteLength;
        if (!ArrayBuffer.isView(w.scales)) n += 8;
      }
      const csr = (layer as { csr?: { rowPtr: Int32Array; colIdx: Int32Array; values: ArrayBufferView } }).csr;
      if (csr) n += csr.rowPtr.byteLength + csr.colIdx.byteLength + csr.values.byteLength;
    }
    return { bytes: n, estimated: true };
  }
}
