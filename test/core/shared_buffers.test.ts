import { describe, expect, it } from 'vitest';
import { Tensor, matmul, matmulAsync } from '../../lib';
import { native } from '../../lib/native';

// Arrays over a SharedArrayBuffer can change from another thread between the binding's checks
// and the kernel's reads (CSR offsets are checked, then followed): refused with a TypeError
// that has a code, not a bare "Invalid argument" Error.
const shared = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));

describe('SharedArrayBuffer-backed arrays', () => {
  it('matmul / matmulAsync: TypeError ERR_NNSLIM_TYPE naming the argument', async () => {
    const a = new Tensor(shared(4), [2, 2]);
    const b = Tensor.from([[1, 0], [0, 1]]);
    for (const [x, y, name] of [[a, b, 'a'], [b, a, 'b']] as const) {
      let err: unknown;
      try { matmul(x, y); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(TypeError);
      expect(err).toMatchObject({ code: 'ERR_NNSLIM_TYPE', message: expect.stringMatching(new RegExp(`for ${name} over an ArrayBuffer \\(SharedArrayBuffer`)) });
    }
    await expect(matmulAsync(a, b)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_NNSLIM_TYPE' });
  });

  it('csrPack refuses shared offsets and indices', () => {
    const rowPtr = new Int32Array(new SharedArrayBuffer(12));
    rowPtr.set([0, 1, 2]);
    expect(() => native.csrPack(2, 2, rowPtr, new Int32Array([0, 1]), new Float32Array([1, 2]), null, null))
      .toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_NNSLIM_TYPE', message: expect.stringMatching(/rowPtr over an ArrayBuffer/) }));
  });
});
