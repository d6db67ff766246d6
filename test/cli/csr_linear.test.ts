import { describe, expect, it } from 'vitest';
import { Rng, Tensor, io, nn } from '../../lib';
import { CsrLinear } from '../../lib/cli/csr_linear';

describe('CsrLinear (demo layer on the CSR kernels)', () => {
  const rng = new Rng(9);
  const lin = new nn.Linear(40, 12, { rng });
  for (let i = 0; i < lin.weight.data.length; i++) if (i % 5) lin.weight.data[i] = 0;
  const x = new Tensor(Float32Array.from({ length: 7 * 40 }, () => rng.normal()), [7, 40]);
  lin.eval();

  it('matches the dense layer (float32) and approximates it (int8), with fused ReLU', async () => {
    const ref = lin.forward(x).data;
    const f = CsrLinear.fromLinear(lin, { int8: false, relu: false }).forward(x).data;
    for (let i = 0; i < ref.length; i++) expect(f[i]).toBeCloseTo(ref[i], 5);
    const q = CsrLinear.fromLinear(lin, { int8: true, relu: true });
    const qa = await q.forwardAsync(x);
    for (let i = 0; i < ref.length; i++) expect(qa.data[i]).toBeCloseTo(Math.max(0, ref[i]), 1);
    expect(() => q.forward(new Tensor(new Float32Array(3), [1, 3]))).toThrow(RangeError);
  });

  it('saves and loads bit-identically, and rejects corrupt CSR arrays', () => {
    for (const int8 of [false, true]) {
      const m = new nn.Sequential(CsrLinear.fromLinear(lin, { int8, relu: true }), new nn.Linear(12, 3, { rng }));
      const bytes = io.saveModel(m);
      const again = io.loadModel(bytes);
      expect(Buffer.from(again.predict(x).data.buffer)).toEqual(Buffer.from(m.predict(x).data.buffer));
      const st = io.loadSafetensors(bytes);
      const bad: Record<string, io.TensorLike> = { ...st.tensors };
      const colIdx = (st.tensors['0.col_idx'].data as Int32Array).slice();
      colIdx[0] = 1000;
      bad['0.col_idx'] = { data: colIdx, shape: [colIdx.length] };
      let err: (Error & { code?: string }) | undefined;
      try { io.loadModel(io.saveSafetensors(bad, { ...st.metadata }), { verifyDigest: false }); } catch (e) { err = e as Error; }
      expect(err?.code).toBe('ERR_NNSLIM_FORMAT');
    }
  });
});
