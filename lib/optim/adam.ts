import { checkBool, rangeError, typeError } from '../errors';
import { native } from '../native';
import type { Parameter } from '../nn/parameter';
import { loadBuffer, loadStep, NATIVE_MIN_ELEMENTS, Optimizer, type ParamGroup, type ParamState, type Params, separate } from './optimizer';
import { checkUnitOpen, numberOr } from './validate';

/** Options of {@link Adam} and {@link AdamW} (PyTorch names in camelCase). */
export interface AdamOptions {
  /** Learning rate, >= 0 (default 1e-3). */
  lr: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1) (default [0.9, 0.999]). */
  betas: [number, number];
  /** Term added to the denominator, >= 0 (default 1e-8). */
  eps: number;
  /** Weight decay, >= 0: L2 penalty for Adam (default 0), decoupled decay for AdamW (default 1e-2). */
  weightDecay: number;
  /** Use the AMSGrad variant (default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize: boolean;
}

const KEYS = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad', 'maximize'] as const;
const f = Math.fround;

function checkBetas(name: string, v: unknown): [number, number] {
  if (!Array.isArray(v)) throw typeError(name, 'an array of two numbers', v);
  if (v.length !== 2) throw rangeError(`${name}.length`, '2', v.length);
  return [checkUnitOpen(`${name}[0]`, v[0]), checkUnitOpen(`${name}[1]`, v[1])];
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected completeOptions(name: string, o: Record<string, unknown>, base: AdamOptions | undefined): AdamOptions {
    return {
      lr: numberOr(`${name}.lr`, o.lr, base?.lr ?? 1e-3, { min: 0 }),
      betas: o.betas === undefined ? (base ? [base.betas[0], base.betas[1]] : [0.9, 0.999]) : checkBetas(`${name}.betas`, o.betas),
      eps: numberOr(`${name}.eps`, o.eps, base?.eps ?? 1e-8, { min: 0 }),
      weightDecay: numberOr(`${name}.weightDecay`, o.weightDecay, base?.weightDecay ?? this.defaultWeightDecay(), { min: 0 }),
      amsgrad: o.amsgrad === undefined ? (base?.amsgrad ?? false) : checkBool(`${name}.amsgrad`, o.amsgrad),
      maximize: o.maximize === undefined ? (base?.maximize ?? false) : checkBool(`${name}.maximize`, o.maximize),
    };
  }

  protected abstract defaultWeightDecay(): number;

  protected loadParamState(name: string, e: Record<string, unknown>, p: Parameter, g: ParamGroup & AdamOptions): ParamState {
    const n = p.data.length;
    for (const k of Object.keys(e)) {
      if (!['step', 'expAvg', 'expAvgSq', 'maxExpAvgSq'].includes(k)) throw rangeError(`${name}.${k}`, 'a known state key (step, expAvg, expAvgSq, maxExpAvgSq)', k);
    }
    const s: ParamState = {
      step: loadStep(`${name}.step`, e.step),
      expAvg: loadBuffer(`${name}.expAvg`, e.expAvg, n),
      expAvgSq: loadBuffer(`${name}.expAvgSq`, e.expAvgSq, n),
    };
    if (e.maxExpAvgSq !== undefined) s.maxExpAvgSq = loadBuffer(`${name}.maxExpAvgSq`, e.maxExpAvgSq, n);
    else if (g.amsgrad) throw typeError(`${name}.maxExpAvgSq`, 'a buffer (the group uses amsgrad)', undefined);
    return s;
  }

  protected updateParam(p: Parameter, g: ParamGroup & AdamOptions, state: ParamState | undefined): ParamState {
    const n = p.data.length;
    const s = state ?? { step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) };
    if (g.amsgrad && !(s.maxExpAvgSq instanceof Float32Array)) s.maxExpAvgSq = new Float32Array(n);
    const step = (s.step as number) + 1;
    s.step = step;
    const [beta1, beta2] = g.betas;
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const stepSize = g.lr / bc1;
    adamUpdate(
      p.data, p.grad, s.expAvg as Float32Array, s.expAvgSq as Float32Array, g.amsgrad ? (s.maxExpAvgSq as Float32Array) : null,
      beta1, beta2, g.eps, g.weightDecay, this.decoupled ? 1 - g.lr * g.weightDecay : NaN, stepSize, Math.sqrt(bc2), g.maximize,
    );
    return s;
  }
}

/**
 * Adam, matching PyTorch's single-tensor `torch.optim.Adam` (L2 weight decay added to the gradient)
 * in float32 step by step. State per parameter: `step`, `expAvg`, `expAvgSq` (+ `maxExpAvgSq` with amsgrad).
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, options, KEYS);
  }
  protected defaultWeightDecay(): number {
    return 0;
  }
}

/**
 * AdamW (decoupled weight decay: `p *= 1 - lr * weightDecay` before the Adam update), matching
 * PyTorch's single-tensor `torch.optim.AdamW`; `weightDecay` defaults to 1e-2.
 *
 * @example
 * const opt = new AdamW([{ params: weights }, { params: biases, weightDecay: 0 }], { lr: 3e-4 });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, options, KEYS);
  }
  protected defaultWeightDecay(): number {
    return 1e-2;
  }
}

/**
 * The Adam/AdamW update on raw arrays, PyTorch float32 order:
 * m = m*b1 (+) (1-b1)*g; v = v*b2 (+) ((1-b2)*g)*g; denom = sqrt(v)/bc2sqrt + eps;
 * p = p + ((-stepSize)*m)/denom, where (+) is PyTorch's fused multiply-add (emulated: the float32
 * product is exact in a double, the sum is rounded to double then float32, which differs from a true FMA
 * only on rare double-rounding ties). `decay` is NaN for Adam (L2 on the gradient) or the AdamW factor 1 - lr*wd.
 */
function adamUpdate(
  p: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null,
  beta1: number, beta2: number, eps: number, wd: number, decay: number, stepSize: number, bc2sqrt: number, maximize: boolean,
): void {
  const n = p.length;
  const b1 = f(beta1);
  const ob1 = f(1 - beta1);
  const b2 = f(beta2);
  const ob2 = f(1 - beta2);
  const epsf = f(eps);
  const nss = f(-stepSize);
  // x / c for float32 x, c equals fround(x * (1 / c)) in doubles: a quotient of two float32 values is never
  // a float32 rounding midpoint, and is at least 2^-48 (relative) away from one, far beyond the 2^-52 error
  // of the reciprocal product. This saves one division per element.
  const rbc2 = 1 / f(bc2sqrt);
  const wdf = f(wd);
  const sgn = maximize ? -1 : 1;
  const decoupled = decay === decay;
  const decayf = decoupled ? f(decay) : 1;
  const l2 = !decoupled && wd !== 0;
  // The native kernel (native/src/ops/optim.cc) does the same float32 arithmetic on 2+ threads;
  // it decides L2 from wdf, so a wd that rounds to 0 stays here.
  if (n >= NATIVE_MIN_ELEMENTS && (decoupled || (wdf !== 0) === l2) && separate(p, grad, m, v, vmax)) {
    native.adamUpdate(p, grad, m, v, vmax, b1, ob1, b2, ob2, epsf, nss, rbc2, wdf, decayf, decoupled, maximize);
    return;
  }
  if (!l2 && vmax === null) {
    // Branch-free common path (Adam without L2, AdamW; no amsgrad): p * 1 is exact for Adam.
    for (let i = 0; i < n; i++) {
      const gi = sgn * grad[i];
      const mi = f(f(m[i] * b1) + ob1 * gi);
      m[i] = mi;
      const vi = f(f(v[i] * b2) + f(ob2 * gi) * gi);
      v[i] = vi;
      const denom = f(f(f(Math.sqrt(vi)) * rbc2) + epsf);
      p[i] = f(p[i] * decayf) + f(f(nss * mi) / denom);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let gi = sgn * grad[i];
    let pi = p[i];
    if (l2) gi = f(gi + wdf * pi);
    else if (decoupled) pi = f(pi * decayf);
    const mi = f(f(m[i] * b1) + ob1 * gi);
    m[i] = mi;
    let vi = f(f(v[i] * b2) + f(ob2 * gi) * gi);
    v[i] = vi;
    if (vmax !== null) {
      vi = Math.max(vmax[i], vi);
      vmax[i] = vi;
    }
    const denom = f(f(f(Math.sqrt(vi)) * rbc2) + epsf);
    p[i] = pi + f(f(nss * mi) / denom);
  }
}
