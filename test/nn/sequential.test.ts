import { describe, expect, it } from 'vitest';
import { Rng, Tensor, nn } from '../../lib';

function mlp(seed = 1): nn.Sequential {
  const rng = new Rng(seed);
  return new nn.Sequential(new nn.Linear(6, 8, { rng }), new nn.GELU(), new nn.Linear(8, 8, { rng }), new nn.ReLU(), new nn.Dropout(0.1, { rng }), new nn.Linear(8, 3, { rng }));
}

function randomInput(rows: number, cols: number, seed = 3): Tensor {
  const rng = new Rng(seed);
  return new Tensor(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

/** A duck-typed layer with a buffer, like a future BatchNorm1d. */
class Shift implements nn.Module {
  runningMean = new Float32Array([0.5, -0.5, 1, 2, 3, 4]);
  training = true;
  forward(x: Tensor): Tensor {
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] - this.runningMean[i % 6];
    return new Tensor(out, x.shape);
  }
  backward(g: Tensor): Tensor {
    return g;
  }
  train(mode = true) { this.training = mode; return this; }
  eval() { return this.train(false); }
}

describe('Sequential', () => {
  it('backward matches finite differences of the loss', () => {
    const model = new nn.Sequential(new nn.Linear(4, 5, { rng: new Rng(2) }), new nn.GELU(), new nn.Linear(5, 3, { rng: new Rng(3) }));
    const x = randomInput(2, 4);
    const y = [2, 0];
    const lossAt = () => nn.crossEntropyWithLogits(model.forward(x), y).loss;
    const { grad } = nn.crossEntropyWithLogits(model.forward(x), y);
    for (const p of model.parameters()) p.zeroGrad();
    model.backward(grad);
    const w = model.parameters()[0];
    for (const i of [0, 3, 7, 19]) {
      const old = w.data[i];
      const h = 1e-2;
      w.data[i] = old + h; const lp = lossAt();
      w.data[i] = old - h; const lm = lossAt();
      w.data[i] = old;
      expect(w.grad[i]).toBeCloseTo((lp - lm) / (2 * h), 3);
    }
  });

  it('names its state like PyTorch and round-trips it', () => {
    const model = new nn.Sequential(new nn.Linear(6, 6, { rng: new Rng(1) }), new Shift(), new nn.ReLU(), new nn.Linear(6, 2, { bias: false, rng: new Rng(2) }));
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias', '1.running_mean', '3.weight']);
    expect(sd['0.weight'].shape).toEqual([6, 6]);
    const other = new nn.Sequential(new nn.Linear(6, 6, { rng: new Rng(9) }), new Shift(), new nn.ReLU(), new nn.Linear(6, 2, { bias: false, rng: new Rng(8) }));
    other.loadStateDict(sd);
    const x = randomInput(3, 6);
    expect(Array.from(other.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    // the state dict is a copy
    sd['0.weight'].data[0] = 123;
    expect(model.stateDict()['0.weight'].data[0]).not.toBe(123);
  });

  it('loadStateDict validates names, shapes and dtypes and changes nothing on error', () => {
    const model = mlp();
    const before = model.stateDict();
    const good = mlp(5).stateDict();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, extra: good['0.bias'] }, /extra/],
      [(() => { const s: Record<string, unknown> = { ...good }; delete s['5.bias']; return s; })(), /5\.bias/],
      [{ ...good, '5.bias': { data: new Float32Array(4), shape: [4] } }, /5\.bias/],
      [{ ...good, '5.weight': { data: new Int8Array(24), shape: [3, 8] } }, /Float32Array/],
      [{ ...good, '2.weight': { data: new Float32Array(64), shape: [4, 16] } }, /shape/],
      [{ ...good, '0.bias': 'nope' }, /0\.bias/],
    ];
    for (const [state, re] of cases) {
      expect(() => model.loadStateDict(state as never)).toThrow(re);
      const now = model.stateDict();
      for (const k of Object.keys(before)) expect(Array.from(now[k].data)).toEqual(Array.from(before[k].data));
    }
    expect(() => model.loadStateDict(null as never)).toThrow(TypeError);
  });

  it('predict is batched, in eval mode, and restores training mode', () => {
    const model = mlp();
    const x = randomInput(37, 6);
    const whole = model.predict(x, { batchSize: 1000 });
    const parts = model.predict(x, { batchSize: 5 });
    expect(whole.shape).toEqual([37, 3]);
    for (let i = 0; i < whole.data.length; i++) expect(parts.data[i]).toBeCloseTo(whole.data[i], 5);
    expect(model.training).toBe(true);
    expect((model.layers[4] as nn.Dropout).training).toBe(true);
    // deterministic in eval mode: two calls agree exactly
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(model.predict(x).data));
    expect(() => model.predict(x, { batchSize: 0 })).toThrow(RangeError);
    expect(() => model.predict('x' as never)).toThrow(TypeError);
  });

  it('predictAsync gives the same numbers off the event loop', async () => {
    const model = mlp();
    const x = randomInput(70, 6);
    const sync = model.predict(x, { batchSize: 32 });
    const pending = model.predictAsync(x, { batchSize: 32 });
    expect(pending).toBeInstanceOf(Promise);
    const asy = await pending;
    expect(Array.from(asy.data)).toEqual(Array.from(sync.data));
    expect(model.training).toBe(true);
    const empty = await model.predictAsync(new Tensor(new Float32Array(0), [0, 6]));
    expect(empty.shape).toEqual([0, 3]);
  });

  it('uses forwardAsync of duck-typed layers', async () => {
    let calls = 0;
    const layer: nn.Module = {
      forward: (x) => x,
      forwardAsync: async (x) => { calls++; return x; },
    };
    const model = new nn.Sequential(layer, new nn.ReLU());
    await model.predictAsync(randomInput(4, 2), { batchSize: 2 });
    expect(calls).toBe(2);
  });

  it('parameters, train/eval and argument checks', () => {
    const model = mlp();
    expect(model.parameters().length).toBe(6);
    expect(model.length).toBe(6);
    model.eval();
    expect(model.layers.every((l) => (l as { training: boolean }).training === false)).toBe(true);
    model.train();
    expect(model.layers.every((l) => (l as { training: boolean }).training === true)).toBe(true);
    expect(() => new nn.Sequential({} as never)).toThrow(/layers\[0\]/);
    const noBack = new nn.Sequential({ forward: (x: Tensor) => x });
    noBack.forward(randomInput(1, 2));
    expect(() => noBack.backward(randomInput(1, 2))).toThrow(/backward/);
  });
});
