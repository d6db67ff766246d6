import { describe, expect, it } from 'vitest';
import { Tensor, matmul, matmulAsync } from '../../lib';
import { native } from '../../lib/native';

// Numeric arrays over a SharedArrayBuffer are read like plain ones (a concurrent write can only
// change numbers). Index arrays are checked and then followed (CSR offsets and column indices):
// another thread could change them in between, so the binding refuses them with a TypeError
// that has a code, not a bare "Invalid argument" Error.
const shared = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));

describe('SharedArrayBuffer-backed arrays', () => {
  it('matmul / matmulAsync read shared float data like plain data', async () => {
    const a = new Tensor(shared(4), [2, 2]);
    a.data.set([1, 2, 3, 4]);
    const b = Tensor.from([[5, 6], [7, 8]]);
    const plain = matmul(new Tensor(Float32Array.from(a.data), [2, 2]), b);
    expect(Array.from(matmul(a, b).data)).toEqual(Array.from(plain.data));
    expect(Array.from((await matmulAsync(a, b)).data)).toEqual(Array.from(plain.data));
    expect(Array.from(matmul(b, a).data)).toEqual(Array.from(matmul(b, new Tensor(Float32Array.from(a.data), [2, 2])).data));
  });

  it('csrPack refuses shared offsets and indices', () => {
    const rowPtr = new Int32Array(new SharedArrayBuffer(12));
    rowPtr.set([0, 1, 2]);
    expect(() => native.csrPack(2, 2, rowPtr, new Int32Array([0, 1]), new Float32Array([1, 2]), null, null))
      .toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_NNSLIM_TYPE', message: expect.stringMatching(/rowPtr over an ArrayBuffer/) }));
  });
});
