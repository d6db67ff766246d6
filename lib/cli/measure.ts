import { Sequential } from '../nn/sequential';
import { Tensor } from '../tensor';

/** Median of the values (NaN for none). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Options of {@link measureInterleaved}. */
export interface InterleavedOptions {
  /** Time budget in ms once minRounds are done. Default 1000. */
  budgetMs?: number;
  /** At least this many rounds. Default 15. */
  minRounds?: number;
  /** At most this many rounds. Default 1000. */
  maxRounds?: number;
}

/**
 * Median wall time (ms) per call of each function on the same input, measured round-robin:
 * every round times a short block of calls of each function in turn (the order rotates every
 * round), so background load and clock changes hit all of them alike. Each function is warmed
 * up first; a block repeats a fast function so that it lasts about 0.2 ms.
 */
export function measureInterleaved(fns: ReadonlyArray<(x: Tensor) => unknown>, x: Tensor, options: InterleavedOptions = {}): number[] {
  const { budgetMs = 1000, minRounds = 15, maxRounds = 1000 } = options;
  const reps = fns.map((f) => {
    for (let i = 0; i < 3; i++) f(x);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) f(x);
    const each = (performance.now() - t0) / 3;
    return Math.max(1, Math.min(200, Math.round(0.2 / Math.max(each, 1e-4))));
  });
  const samples: number[][] = fns.map(() => []);
  const start = performance.now();
  for (let r = 0; r < maxRounds && (r < minRounds || performance.now() - start < budgetMs); r++) {
    for (let j = 0; j < fns.length; j++) {
      const k = (j + r) % fns.length;
      const f = fns[k];
      const t0 = performance.now();
      for (let i = 0; i < reps[k]; i++) f(x);
      samples[k].push((performance.now() - t0) / reps[k]);
    }
  }
  return samples.map(median);
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
