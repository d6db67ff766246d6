'use strict';
// Pure statistics helpers of the benchmark harness (no timing here).

/** Median of a list of finite numbers (mean of the two middle values for an even count); NaN when empty. */
function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Linear-interpolated quantile q in [0, 1]; NaN when empty. */
function quantile(values, q) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

/** Geometric mean of positive finite numbers; NaN when there are none. */
function geomean(values) {
  const xs = values.filter((v) => Number.isFinite(v) && v > 0);
  if (xs.length === 0) return NaN;
  return Math.exp(xs.reduce((s, v) => s + Math.log(v), 0) / xs.length);
}

/** FLOPs of C[M x N] = A[M x K] * B[K x N]: one multiply and one add per inner step. */
function gemmFlops(m, n, k) {
  return 2 * m * n * k;
}

/** GFLOP/s of a GEMM that took `ms` milliseconds; NaN for a missing or non-positive time. */
function gflops(m, n, k, ms) {
  if (!Number.isFinite(ms) || ms <= 0) return NaN;
  return gemmFlops(m, n, k) / (ms * 1e6);
}

/** a / b, NaN unless both are positive finite numbers. */
function ratio(a, b) {
  if (!(Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0)) return NaN;
  return a / b;
}

/**
 * Combines the per-round results of one contender: `rounds` is a list of
 * `{ [key]: medianMs }` maps; returns `{ [key]: { ms, rounds, spread } }` where `ms` is the
 * median over rounds and `spread` the relative half-range (max - min) / (2 * median).
 */
function combineRounds(rounds) {
  const keys = new Set();
  for (const r of rounds) for (const key of Object.keys(r)) keys.add(key);
  const out = {};
  for (const key of keys) {
    const xs = rounds.map((r) => r[key]).filter((v) => Number.isFinite(v));
    const ms = median(xs);
    const spread = xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / (2 * ms) : 0;
    out[key] = { ms, rounds: xs.length, spread };
  }
  return out;
}

module.exports = { median, quantile, geomean, gemmFlops, gflops, ratio, combineRounds };
