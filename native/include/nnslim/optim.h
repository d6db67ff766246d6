// Fused element-wise optimizer updates (Adam/AdamW, RMSprop) on float32 arrays, bit-identical to
// lib/optim/adam.ts and lib/optim/rmsprop.ts (PyTorch 1.13 single-tensor float32 arithmetic).
//
// Numeric rules. f(x) is rounding a double to float32 (round to nearest even). Constants are the
// float32 values the TypeScript path computes (inv_bc2_sqrt is a double). "a (+) b*c" is PyTorch's
// fused multiply-add emulated as f(double(a) + double(b)*double(c)): the float32 product is exact
// in a double. Plain float32 +, *, / and sqrt of float32 operands equal the same operation in
// doubles rounded once to float32 (53 >= 2*24 + 2), so the kernels use them directly.
// Denormals are kept (no FTZ/DAZ), as in JavaScript. Each element is independent, so results do
// not depend on how the array is split across threads.
#pragma once

#include <cstddef>

#include "nnslim/kernels.h"

namespace nnslim {

struct AdamParams {
  float* param = nullptr;           // [n], updated in place
  const float* grad = nullptr;      // [n]
  float* exp_avg = nullptr;         // [n] first moment m, updated
  float* exp_avg_sq = nullptr;      // [n] second moment v, updated
  float* max_exp_avg_sq = nullptr;  // [n] running max of v (amsgrad), or null
  size_t n = 0;
  float beta1 = 0, one_minus_beta1 = 0;  // f(beta1), f(1 - beta1)
  float beta2 = 0, one_minus_beta2 = 0;  // f(beta2), f(1 - beta2)
  float eps = 0;                         // f(eps)
  float neg_step_size = 0;               // f(-lr / (1 - beta1^step))
  double inv_bc2_sqrt = 1;               // 1 / f(sqrt(1 - beta2^step))
  float weight_decay = 0;                // f(wd): L2 term added to the gradient (Adam; ignored when decoupled)
  float decay = 1;                       // f(1 - lr*wd): AdamW's factor on the parameter (used when decoupled)
  bool decoupled = false;                // AdamW
  bool maximize = false;                 // negate the gradient
};

// Per element, with g = maximize ? -grad : grad and p = param:
//   Adam with wd != 0: g = g (+) wd*p;  AdamW: p = f(p * decay)
//   m = f(m*b1) (+) (1-b1)*g;  v = f(v*b2) (+) f((1-b2)*g)*g;  amsgrad: v = vmax = max(vmax, v)
//   denom = f(f(sqrt(v)) * inv_bc2_sqrt) + eps;  param = p + f(neg_step_size*m) / denom
// max follows Math.max (NaN wins, +0 > -0). kInvalidArgument: a null required pointer with n > 0.
Status adam_update(const AdamParams& p);

struct RmspropParams {
  float* param = nullptr;            // [n], updated in place
  const float* grad = nullptr;       // [n]
  float* square_avg = nullptr;       // [n], updated
  float* grad_avg = nullptr;         // [n] (centered), or null
  float* momentum_buffer = nullptr;  // [n] (momentum > 0), or null
  size_t n = 0;
  float alpha = 0, one_minus_alpha = 0;  // f(alpha), f(1 - alpha)
  float eps = 0;                         // f(eps)
  float weight_decay = 0;                // f(wd), L2 term added to the gradient when != 0
  float momentum = 0;                    // f(momentum)
  float neg_lr = 0;                      // f(-lr)
  bool maximize = false;
};

// Per element, with g = maximize ? -grad : grad:  wd != 0: g = g (+) wd*param
//   sq = f(sq*a) (+) f((1-a)*g)*g;  centered: ga = f(ga*a) (+) (1-a)*g, avg = sqrt(sq (+) -ga*ga)
//   else avg = sqrt(sq);  avg = avg + eps
//   momentum: buf = f(buf*mom) + g/avg, param = param (+) neg_lr*buf;  else param = param + f(neg_lr*g)/avg
Status rmsprop_update(const RmspropParams& p);

}  // namespace nnslim
