import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, io, nn } from '../../lib';

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
    formatError(() => io.loadModel(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{' })), /not valid JSON/);
    formatError(() => io.loadModel(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{"format":"x"}' })), /description/);
    formatError(() => io.loadModel(io.saveSafetensors({}, { [io.ARCHITECTURE_KEY]: '{"format":"nnslim.sequential","version":9,"layers":[]}' })), /version/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[0].type = 'Conv2d'; })), /unknown type "Conv2d"/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[1].config.inFeatures = 2 ** 30; })), /weight must have shape/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[1].config.outFeatures = -1; })), /positive integer/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[3].config.p = 7; })), /Dropout.p/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[4].config.bias = true; })), /bias/);
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers.splice(5, 0, { type: 'ReLU', config: {} }); })), /layer 7 \(Linear\): Linear weight/);
    const st = io.loadSafetensors(bytes);
    const tensors: Record<string, io.TensorLike> = { ...st.tensors, '2.extra': { data: new Float32Array(1), shape: [1] } };
    formatError(() => io.loadModel(io.saveSafetensors(tensors, { ...st.metadata })), /tensors do not fit/);
    const asInt: Record<string, io.TensorLike> = { ...st.tensors, '6.bias': { data: new Int32Array(4), shape: [4] } };
    formatError(() => io.loadModel(io.saveSafetensors(asInt, { ...st.metadata })), /tensors do not fit/);
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
    formatError(() => io.loadModel(withArchitecture(bytes, (a) => { a.layers[2].config.numFeatures = 7; })), /BatchNorm1d weight must have shape \[7\]/);
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
});
