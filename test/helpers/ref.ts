// Independent oracles for the tests: naive loops in float64.

export function randn(n: number, seed = 1, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** C = alpha op(A) op(B) + beta C + bias, relu; all row-major, dense (ld = row length). */
export function gemmRef(a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; c?: Float32Array; bias?: Float32Array; relu?: boolean } = {}): Float64Array {
  const out = new Float64Array(m * n);
  const alpha = o.alpha ?? 1, beta = o.beta ?? 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = o.transA ? a[p * m + i] : a[i * k + p];
        const bv = o.transB ? b[j * k + p] : b[p * n + j];
        acc += av * bv;
      }
      let v = alpha * acc + (beta !== 0 && o.c ? beta * o.c[i * n + j] : 0);
      if (o.bias) v += o.bias[j];
      if (o.relu) v = Math.max(0, v);
      out[i * n + j] = v;
    }
  }
  return out;
}

/** Max |x - y| / (k * scale + 1e-3) style check helper: returns the worst absolute error. */
export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
