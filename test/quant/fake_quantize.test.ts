import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeQuantize, fakeQuantizeBackward, fakeQuantizePerChannel } from '../../lib/quant/fake_quantize';

interface Case {
  kind: 'per_tensor' | 'per_channel';
  x: number[];
  shape?: number[];
  axis?: number;
  scale?: number;
  zeroPoint?: number;
  scales?: number[];
  zeroPoints?: number[];
  quantMin: number;
  quantMax: number;
  output: number[];
  mask: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/quant/observers_fake_quantize.json'), 'utf8')) as { cases: Case[] };

describe('fakeQuantize matches torch.fake_quantize_* (values and STE mask)', () => {
  fixture.cases.forEach((c, i) => {
    it(`${i} ${c.kind} q[${c.quantMin}, ${c.quantMax}]`, () => {
      const x = new Float32Array(c.x);
      const r = c.kind === 'per_tensor'
        ? fakeQuantize(x, c.scale!, c.zeroPoint!, c.quantMin, c.quantMax)
        : fakeQuantizePerChannel({ data: x, shape: c.shape! }, new Float32Array(c.scales!), c.zeroPoints!, c.axis!, c.quantMin, c.quantMax);
      expect(Array.from(r.output)).toEqual(c.output);
      expect(Array.from(r.mask)).toEqual(c.mask);
    });
  });

  it('rounds exact .5 ties to even', () => {
    const r = fakeQuantize(new Float32Array([0.25, 0.75, 1.25, -0.25, -0.75]), 0.5, 0, -128, 127);
    expect(Array.from(r.output)).toEqual([0, 1, 1, 0, -1]);
  });

  it('backward passes the gradient where the mask is set', () => {
    const { mask } = fakeQuantize(new Float32Array([0, 100, -100, 1]), 0.1, 0, -128, 127);
    expect(Array.from(mask)).toEqual([1, 0, 0, 1]);
    expect(Array.from(fakeQuantizeBackward(new Float32Array([1, 2, 3, 4]), mask))).toEqual([1, 0, 0, 4]);
  });

  it('accepts a { data, shape } tensor and negative axes', () => {
    const t = { data: new Float32Array([0.1, 0.2, 0.3, 0.4]), shape: [2, 2] };
    expect(fakeQuantize(t, 0.1, 0, -128, 127).output.length).toBe(4);
    const a = fakeQuantizePerChannel(t, [0.1, 0.2], [0, 0], -1, -128, 127);
    const b = fakeQuantizePerChannel(t, [0.1, 0.2], [0, 0], 1, -128, 127);
    expect(a).toEqual(b);
  });
});

describe('fakeQuantize validation', () => {
  const x = new Float32Array(4);
  it.each([
    [() => fakeQuantize([1] as never, 1, 0, 0, 255), TypeError, /for x but/],
    [() => fakeQuantize(x, '1' as never, 0, 0, 255), TypeError, /for scale/],
    [() => fakeQuantize(x, 0, 0, 0, 255), RangeError, /for scale/],
    [() => fakeQuantize(x, 1, 300, 0, 255), RangeError, /for zeroPoint/],
    [() => fakeQuantize(x, 1, 0.5, 0, 255), RangeError, /for zeroPoint/],
    [() => fakeQuantize(x, 1, 0, 10, 5), RangeError, /for quantMax/],
    [() => fakeQuantize(new Float32Array([NaN]), 1, 0, 0, 255), RangeError, /x\[0\]/],
    [() => fakeQuantizePerChannel({ data: x, shape: [2, 2] }, [1], [0, 0], 0, 0, 255), RangeError, /scales\.length/],
    [() => fakeQuantizePerChannel({ data: x, shape: [2, 2] }, [1, 1], [0], 0, 0, 255), RangeError, /zeroPoints\.length/],
    [() => fakeQuantizePerChannel({ data: x, shape: [2, 2] }, [1, 1], [0, 0], 2, 0, 255), RangeError, /for axis/],
    [() => fakeQuantizePerChannel({ data: x, shape: [2, 2] }, [1, -1], [0, 0], 0, 0, 255), RangeError, /scales\[1\]/],
    [() => fakeQuantizePerChannel({ data: x, shape: [2, 2] }, 'ab' as never, [0, 0], 0, 0, 255), TypeError, /for scales/],
    [() => fakeQuantizeBackward(new Float32Array(2), new Uint8Array(3)), RangeError, /mask\.length/],
    [() => fakeQuantizeBackward(new Float32Array(2), [1, 1] as never), TypeError, /for mask/],
  ])('%#', (fn, type, msg) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  });
});
