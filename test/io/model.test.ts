import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaled } from '../helpers/emu';
import { Rng, Tensor, io, nn, quant, sparse } from '../../lib';
import { CsrLinear, DenseLinear } from '../../lib/cli/csr_linear';

function model(): nn.Sequential {
  const rng = new Rng(11);
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 16, { rng }), new nn.GELU(), new nn.Dropout(0.2, { rng }),
    new nn.Linear(16, 8, { rng, bias: false }), new nn.ReLU(), new nn.Linear(8, 4, { rng }));
}

const x = (() => {
  const rng = new Rng(5);
  return new Tensor(Float32Array.from({ length: 10 * 12 }, () => rng.normal()), [10, 3, 4]);
})();

function formatError(fn: () => unknown, re: RegExp): void {
  let err: (Error & { code?: string }) | undefined;
  try { fn(); } catch (e) { err = e as Error; }
  expect(err?.code).toBe('ERR_NNSLIM_FORMAT');
  expect(err?.message).toMatch(re);
}

/** Hand-edited files carry no valid digest: read them with verifyDigest: false to reach the deeper checks. */
function loadEdited(bytes: Uint8Array): nn.Sequential {
  return io.loadModel(bytes, { verifyDigest: false });
}

function withArchitecture(bytes: Uint8Array, edit: (arch: { layers: Array<{ type: string; config: Record<string, unknown> }> }) => void): Uint8Array {
  const st = io.loadSafetensors(bytes);
  const arch = JSON.parse(st.metadata[io.ARCHITECTURE_KEY]);
  edit(arch);
  const tensors: Record<string, io.TensorLike> = {};
  for (const [k, v] of Object.entries(st.tensors)) tensors[k] = v;
  return io.saveSafetensors(tensors, { ...st.metadata, [io.ARCHITECTURE_KEY]: JSON.stringify(arch) });
}

describe('saveModel / loadModel', () => {
  it('round-trips a model with bit-identical outputs (bytes and files)', () => {
    const m = model();
    const before = m.predict(x);
    const bytes = io.saveModel(m);
    const again = io.loadModel(bytes);
    expect(again.layers.map((l) => l.constructor.name)).toEqual(['Flatten', 'Linear', 'GELU', 'Dropout', 'Linear', 'ReLU', 'Linear']);
    expect((again.layers[3] as nn.Dropout).p).toBe(0.2);
    expect(again.training).toBe(false);
    expect(Buffer.from(again.predict(x).data.buffer)).toEqual(Buffer.from(before.data.buffer));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-model-'));
    try {
      const file = path.join(dir, 'm.safetensors');
      io.saveModel(m, file, { author: 'test' });
      const st = io.loadSafetensors(file);
      expect(st.metadata.author).toBe('test');
      expect(Object.keys(st.tensors).sort()).toEqual(['1.bias', '1.weight', '4.weight', '6.bias', '6.weight']);
      expect(Buffer.from(io.loadModel(file).predict(x).data.buffer)).toEqual(Buffer.from(before.data.buffer));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad architectures and mismatched tensors with ERR_NNSLIM_FORMAT', () => {
    const bytes = io.saveModel(model());
    formatError(() => io.loadModel(io.saveSafetensors({})), /no nnslim.architecture/);
    formatError(() => io.loadModel(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{' })), /no nnslim.sha256 digest/);
    formatError(() => loadEdited(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{' })), /not valid JSON/);
    formatError(() => loadEdited(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{"format":"x"}' })), /description/);
    formatError(() => loadEdited(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{"format":"nnslim.sequential","version":9,"layers":[]}' })), /version/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[0].type = 'Conv2d'; })), /unknown type "Conv2d"/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[1].config.inFeatures = 2 ** 30; })), /weight must have shape/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[1].config.outFeatures = -1; })), /positive integer/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[3].config.p = 7; })), /Dropout.p/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[4].config.bias = true; })), /bias/);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers.splice(5, 0, { type: 'ReLU', config: {} }); })), /layer 7 \(Linear\): Linear weight/);
    const st = io.loadSafetensors(bytes);
    const tensors: Record<string, io.TensorLike> = { ...st.tensors, '2.extra': { data: new Float32Array(1), shape: [1] } };
    formatError(() => loadEdited(io.saveSafetensors(tensors, { ...st.metadata })), /tensors do not fit/);
    formatError(() => io.loadModel(io.saveSafetensors(tensors, { ...st.metadata })), /does not match its nnslim.sha256 digest/);
    const asInt: Record<string, io.TensorLike> = { ...st.tensors, '6.bias': { data: new Int32Array(4), shape: [4] } };
    formatError(() => loadEdited(io.saveSafetensors(asInt, { ...st.metadata })), /tensors do not fit/);
    formatError(() => io.loadModel(bytes.subarray(0, bytes.length - 3)), /past the data section|trailing|no tensor/);
  });

  it('saves BatchNorm1d with its running statistics and num_batches_tracked', () => {
    const rng = new Rng(3);
    const m = new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 6, { rng }), new nn.BatchNorm1d(6, { momentum: null }), new nn.ReLU(), new nn.Linear(6, 2, { rng }));
    m.forward(x);
    m.forward(x);
    m.eval();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['1.weight', '1.bias', '2.weight', '2.bias', '2.running_mean', '2.running_var', '2.num_batches_tracked', '4.weight', '4.bias']);
    expect(Array.from(sd['2.num_batches_tracked'].data)).toEqual([2]);
    const again = io.loadModel(io.saveModel(m));
    const bn = again.layers[2] as nn.BatchNorm1d;
    expect(bn.momentum).toBeNull();
    expect(bn.numBatchesTracked).toBe(2);
    expect(Array.from(bn.runningVar as Float32Array)).toEqual(Array.from((m.layers[2] as nn.BatchNorm1d).runningVar as Float32Array));
    expect(Buffer.from(again.predict(x).data.buffer)).toEqual(Buffer.from(m.predict(x).data.buffer));
    const bytes = io.saveModel(m);
    formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[2].config.numFeatures = 7; })), /BatchNorm1d weight must have shape \[7\]/);
  });

  it('saves layers registered by other modules', () => {
    class Scale implements nn.Module {
      constructor(public factor: number) {}
      forward(t: Tensor): Tensor { return new Tensor(t.data.map((v) => v * this.factor), t.shape); }
    }
    expect(() => io.saveModel(new nn.Sequential(new Scale(2)))).toThrow(/registered/);
    io.registerLayer({
      type: 'Scale', matches: (l) => l instanceof Scale, config: (l) => ({ factor: (l as Scale).factor }),
      create: (cfg) => new Scale(cfg.factor as number),
    });
    expect(io.registeredLayers()).toContain('Scale');
    const m = new nn.Sequential(new nn.Flatten(), new Scale(3));
    expect(Array.from(io.loadModel(io.saveModel(m)).predict(x).data)).toEqual(Array.from(m.predict(x).data));
    expect(() => io.registerLayer({ type: '' } as never)).toThrow(TypeError);
    expect(() => io.saveModel({} as never)).toThrow(TypeError);
  });

  describe('compressed models', () => {
    const rng = new Rng(21);
    const xin = new Tensor(Float32Array.from({ length: 33 * 20 }, () => rng.normal()), [33, 20]);
    const bits = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

    function floatModel(): nn.Sequential {
      const r = new Rng(4);
      const m = new nn.Sequential(new nn.Linear(20, 24, { rng: r }), new nn.BatchNorm1d(24), new nn.ReLU(), new nn.Linear(24, 5, { rng: r }));
      for (let i = 0; i < 3; i++) m.forward(xin);
      const w = (m.layers[0] as nn.Linear).weight.data;
      for (let i = 0; i < w.length; i++) if (i % 7 !== 0) w[i] = 0; // ~86% pruned
      return m.eval();
    }

    function compressed(): nn.Sequential {
      const folded = new nn.Sequential(nn.foldBatchNorm(floatModel().layers[0] as nn.Linear, floatModel().layers[1] as nn.BatchNorm1d), new nn.ReLU(), floatModel().layers[3]);
      return quant.quantizeStatic(folded, [xin], { perChannel: true });
    }

    it('QuantizedLinear (per channel and per tensor, fused ReLU, requantized output) round-trips bit-identically', () => {
      const q = compressed();
      expect(q.layers.map((l) => l.constructor.name)).toEqual(['QuantizedLinear', 'QuantizedLinear']);
      const again = io.loadModel(io.saveModel(q));
      expect(again.layers.map((l) => l.constructor.name)).toEqual(['QuantizedLinear', 'QuantizedLinear']);
      expect(bits(again.predict(xin))).toEqual(bits(q.predict(xin)));
      const a = again.layers[0] as nn.QuantizedLinear, b = q.layers[0] as nn.QuantizedLinear;
      expect(a.relu).toBe(true);
      expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
      expect(a.activationScale).toBe(b.activationScale);
      const lin = floatModel().layers[3] as nn.Linear;
      const variants = [
        nn.QuantizedLinear.fromFloat(lin, { activationScale: 0.05, activationZeroPoint: 3, perChannel: false }),
        nn.QuantizedLinear.fromFloat(lin, { activationScale: 0.02, activationZeroPoint: -5, activationDtype: 'int8', outputDtype: 'uint8', outputScale: 0.1, outputZeroPoint: 128, relu: true }),
        nn.DynamicQuantizedLinear.fromFloat(lin, { perChannel: true }),
        nn.DynamicQuantizedLinear.fromFloat(lin, { perChannel: false, reduceRange: true, activationGranularity: 'row' }),
      ];
      const h = new Tensor(Float32Array.from({ length: 9 * 24 }, () => rng.normal()), [9, 24]);
      for (const v of variants) {
        const m = new nn.Sequential(v);
        const r = io.loadModel(io.saveModel(m));
        expect(r.layers[0].constructor).toBe(v.constructor);
        expect(bits(r.predict(h))).toEqual(bits(m.predict(h)));
      }
      const st = io.loadSafetensors(io.saveModel(new nn.Sequential(variants[0])));
      expect(st.tensors['0.weight'].dtype).toBe('I8');
      expect(st.tensors['0.weight_scale'].shape).toEqual([1]);
    });

    it('CSR (float32 and int8) and fused dense layers round-trip bit-identically', () => {
      const f = floatModel();
      const folded = nn.foldBatchNorm(f.layers[0] as nn.Linear, f.layers[1] as nn.BatchNorm1d);
      for (const int8 of [false, true]) {
        const m = new nn.Sequential(CsrLinear.fromLinear(folded, { int8, relu: true }), DenseLinear.fromLinear(f.layers[3] as nn.Linear, { relu: false }));
        const again = io.loadModel(io.saveModel(m));
        expect((again.layers[0] as CsrLinear).int8).toBe(int8);
        expect(bits(again.predict(xin))).toEqual(bits(m.predict(xin)));
      }
      for (const batchHint of [1, 64]) {
        const sl = nn.SparseLinear.fromLinear(folded, { sparsity: 0.8, batchHint });
        const m = new nn.Sequential(sl, new nn.ReLU(), f.layers[3]);
        const again = io.loadModel(io.saveModel(m));
        const back = again.layers[0] as nn.SparseLinear;
        expect(back.choice).toBe(sl.choice);
        expect(back.timings).toEqual(sl.timings);
        expect(back.csr.nnz).toBe(sl.csr.nnz);
        expect(bits(again.predict(xin))).toEqual(bits(m.predict(xin)));
        const st = io.loadSafetensors(io.saveModel(m));
        const bad = (st.tensors['0.row_ptr'].data as Int32Array).slice();
        bad[3] = -1;
        formatError(() => loadEdited(io.saveSafetensors({ ...st.tensors, '0.row_ptr': { data: bad, shape: [bad.length] } }, { ...st.metadata })), /rowPtr/);
      }
      expect(sparse.CsrMatrix).toBeDefined();
    });

    it('stores pruned int8 weights as a bitmask + non-zero values, losslessly', () => {
      const q = compressed();
      const bytes = io.saveModel(q);
      const st = io.loadSafetensors(bytes);
      expect(st.tensors['0.weight']).toBeUndefined();
      expect(st.tensors['0.weight_mask'].dtype).toBe('U8');
      expect(st.tensors['0.weight_mask'].shape).toEqual([60]);
      const nnz = Array.from((q.layers[0] as nn.QuantizedLinear).weight.data).filter((v) => v !== 0).length;
      expect(st.tensors['0.weight_values'].shape).toEqual([nnz]);
      expect(st.tensors['1.weight'].dtype).toBe('I8'); // dense enough: plain
      const again = io.loadModel(bytes);
      expect(Array.from((again.layers[0] as nn.QuantizedLinear).weight.data)).toEqual(Array.from((q.layers[0] as nn.QuantizedLinear).weight.data));
      const edit = (name: string, t: io.TensorLike) => loadEdited(io.saveSafetensors({ ...st.tensors, [name]: t }, { ...st.metadata }));
      const mask = (st.tensors['0.weight_mask'].data as Uint8Array).slice();
      const flip = mask.findIndex((b) => b !== 0xff);
      mask[flip] |= ~mask[flip] & -~mask[flip] & 0xff; // set one more bit
      formatError(() => edit('0.weight_mask', { data: mask, shape: [60] }), /more bits set|bits set but/);
      formatError(() => edit('0.weight_values', { data: new Int8Array(nnz + 1), shape: [nnz + 1] }), /bits set but/);
      formatError(() => edit('0.weight_mask', { data: new Uint8Array(59), shape: [59] }), /weight_mask \(U8 \[60\]\)/);
    });

    it('rejects inconsistent int8 layers', () => {
      const bytes = io.saveModel(compressed());
      const st = io.loadSafetensors(bytes);
      const edit = (name: string, t: io.TensorLike) => loadEdited(io.saveSafetensors({ ...st.tensors, [name]: t }, { ...st.metadata }));
      formatError(() => edit('0.weight_scale', { data: new Float32Array(3), shape: [3] }), /weight_scale must be F32 of shape \[24\]/);
      formatError(() => edit('0.weight_scale', { data: new Float32Array(24).fill(-1), shape: [24] }), /scale/);
      formatError(() => edit('0.weight', { data: new Float32Array(24 * 20), shape: [24, 20] }), /weight must be I8/);
      formatError(() => edit('0.extra', { data: new Float32Array(1), shape: [1] }), /unexpected tensor '0.extra'|unexpected tensor 'extra'/);
      formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[0].config.activationScale = -1; })), /activationScale/);
      formatError(() => loadEdited(withArchitecture(bytes, (a) => { a.layers[0].config.perChannel = false; })), /weight_scale must be F32 of shape \[1\]/);
    });

    it('truncated, bit-flipped and oversized-header files give a clear error, never a crash or a wrong model', () => {
      const bytes = io.saveModel(compressed());
      const cuts = new Set<number>([0, 1, 7, 8, 9, bytes.length - 1]);
      for (let i = 1; i < 32; i++) cuts.add(Math.floor((bytes.length * i) / 32));
      for (const n of cuts) formatError(() => io.loadModel(bytes.subarray(0, n)), /./);
      // One flipped bit anywhere (header, metadata, digest, int8 weights, scales, bias): always an error.
      // (Under emulation every 5th byte: still every region of the file.)
      for (let pos = 0; pos < bytes.length; pos += scaled(1, 5)) {
        const bad = bytes.slice();
        bad[pos] ^= 1 << (pos % 8);
        formatError(() => io.loadModel(bad), /./);
      }
      const big = bytes.slice();
      new DataView(big.buffer).setUint32(0, 0xffffffff, true);
      formatError(() => io.loadModel(big), /exceeds/);
      new DataView(big.buffer).setUint32(4, 1, true);
      formatError(() => io.loadModel(big), /limit/);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnslim-model-'));
      try {
        const file = path.join(dir, 'q.safetensors');
        fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
        formatError(() => io.loadModel(file), /q\.safetensors: /);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
