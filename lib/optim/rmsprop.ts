import { checkBool, rangeError } from '../errors';
import { native } from '../native';
import type { Parameter } from '../nn/parameter';
import { loadBuffer, loadStep, NATIVE_MIN_ELEMENTS, Optimizer, type ParamGroup, type ParamState, type Params, separate } from './optimizer';
import { checkUnitOpen, numberOr } from './validate';

/** Options of {@link RMSprop} (PyTorch names in camelCase). */
export interface RMSpropOptions {
  /** Learning rate, >= 0 (default 1e-2). */
  lr: number;
  /** Smoothing constant of the squared-gradient average, in [0, 1] (default 0.99). */
  alpha: number;
  /** Term added to the denominator, >= 0 (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient, >= 0 (default 0). */
  weightDecay: number;
  /** Momentum factor in [0, 1) (default 0). */
  momentum: number;
  /** Normalize by the estimated variance of the gradient (default false). */
  centered: boolean;
  /** Maximize the objective instead of minimizing (default false). */
  maximize: boolean;
}

const KEYS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered', 'maximize'] as const;
const STATE_KEYS = ['step', 'squareAvg', 'momentumBuffer', 'gradAvg'];
const f = Math.fround;

/**
 * RMSprop, matching PyTorch's single-tensor `torch.optim.RMSprop` in float32 step by step.
 * State per parameter: `step`, `squareAvg` (+ `momentumBuffer` with momentum, `gradAvg` when centered).
 *
 * @example
 * const opt = new RMSprop(model.parameters(), { lr: 1e-2, momentum: 0.9, centered: true });
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, options, KEYS);
  }

  protected completeOptions(name: string, o: Record<string, unknown>, base: RMSpropOptions | undefined): RMSpropOptions {
    return {
      lr: numberOr(`${name}.lr`, o.lr, base?.lr ?? 1e-2, { min: 0 }),
      alpha: numberOr(`${name}.alpha`, o.alpha, base?.alpha ?? 0.99, { min: 0, max: 1 }),
      eps: numberOr(`${name}.eps`, o.eps, base?.eps ?? 1e-8, { min: 0 }),
      weightDecay: numberOr(`${name}.weightDecay`, o.weightDecay, base?.weightDecay ?? 0, { min: 0 }),
      momentum: o.momentum === undefined ? (base?.momentum ?? 0) : checkUnitOpen(`${name}.momentum`, o.momentum),
      centered: o.centered === undefined ? (base?.centered ?? false) : checkBool(`${name}.centered`, o.centered),
      maximize: o.maximize === undefined ? (base?.maximize ?? false) : checkBool(`${name}.maximize`, o.maximize),
    };
  }

  protected loadParamState(name: string, e: Record<string, unknown>, p: Parameter): ParamState {
    const n = p.data.length;
    for (const k of Object.keys(e)) if (!STATE_KEYS.includes(k)) throw rangeError(`${name}.${k}`, `a known state key (${STATE_KEYS.join(', ')})`, k);
    const s: ParamState = { step: loadStep(`${name}.step`, e.step), squareAvg: loadBuffer(`${name}.squareAvg`, e.squareAvg, n) };
    if (e.momentumBuffer !== undefined) s.momentumBuffer = loadBuffer(`${name}.momentumBuffer`, e.momentumBuffer, n);
    if (e.gradAvg !== undefined) s.gradAvg = loadBuffer(`${name}.gradAvg`, e.gradAvg, n);
    return s;
  }

  protected updateParam(p: Parameter, g: ParamGroup & RMSpropOptions, state: ParamState | undefined): ParamState {
    const n = p.data.length;
    const s = state ?? { step: 0, squareAvg: new Float32Array(n) };
    if (g.momentum > 0 && !(s.momentumBuffer instanceof Float32Array)) s.momentumBuffer = new Float32Array(n);
    if (g.centered && !(s.gradAvg instanceof Float32Array)) s.gradAvg = new Float32Array(n);
    s.step = (s.step as number) + 1;
    rmspropUpdate(
      p.data, p.grad, s.squareAvg as Float32Array, g.centered ? (s.gradAvg as Float32Array) : null,
      g.momentum > 0 ? (s.momentumBuffer as Float32Array) : null,
      g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, g.maximize,
    );
    return s;
  }
}

/**
 * The RMSprop update on raw arrays, PyTorch float32 order: sq = sq*a (+) ((1-a)*g)*g;
 * avg = sqrt(sq (+) -ga*ga) + eps; buf = buf*m + g/avg; p = p (+) -lr*buf (or p + (-lr*g)/avg).
 */
function rmspropUpdate(
  p: Float32Array, grad: Float32Array, sq: Float32Array, ga: Float32Array | null, buf: Float32Array | null,
  lr: number, alpha: number, eps: number, wd: number, momentum: number, maximize: boolean,
): void {
  const n = p.length;
  const af = f(alpha);
  const oa = f(1 - alpha);
  const epsf = f(eps);
  const wdf = f(wd);
  const mf = f(momentum);
  const nlr = f(-lr);
  const sgn = maximize ? -1 : 1;
  const l2 = wd !== 0;
  // Same arithmetic natively (native/src/ops/optim.cc); it decides L2 from wdf.
  if (n >= NATIVE_MIN_ELEMENTS && (wdf !== 0) === l2 && separate(p, grad, sq, ga, buf)) {
    native.rmspropUpdate(p, grad, sq, ga, buf, af, oa, epsf, wdf, mf, nlr, maximize);
    return;
  }
  if (!l2 && ga === null && buf === null) {
    // Branch-free common path (no weight decay, not centered, no momentum).
    for (let i = 0; i < n; i++) {
      const gi = sgn * grad[i];
      const si = f(f(sq[i] * af) + f(oa * gi) * gi);
      sq[i] = si;
      const avg = f(f(Math.sqrt(si)) + epsf);
      p[i] = p[i] + f(f(nlr * gi) / avg);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let gi = sgn * grad[i];
    if (l2) gi = f(gi + wdf * p[i]);
    const si = f(f(sq[i] * af) + f(oa * gi) * gi);
    sq[i] = si;
    let avg: number;
    if (ga !== null) {
      const gai = f(f(ga[i] * af) + oa * gi);
      ga[i] = gai;
      avg = f(Math.sqrt(f(si - gai * gai)));
    } else {
      avg = f(Math.sqrt(si));
    }
    avg = f(avg + epsf);
    if (buf !== null) {
      const b = f(f(buf[i] * mf) + f(gi / avg));
      buf[i] = b;
      p[i] = p[i] + nlr * b;
    } else {
      p[i] = p[i] + f(f(nlr * gi) / avg);
    }
  }
}
