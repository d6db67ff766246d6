// Fused Adam/AdamW and RMSprop updates against a literal double-precision transcription of
// lib/optim/adam.ts and rmsprop.ts (every Math.fround a float cast): bit-identical on every
// option combination, sizes around the parallel chunk, tiny gradients (denormal squares) and
// several steps, serial and threaded.
// The reference loops must not be contracted into FMAs either (see ops/optim.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "nnslim/optim.h"
#include "nnslim/threadpool.h"
#include "testing.h"

using namespace nnslim;
using nnslim_test::GuardedBuffer;
using nnslim_test::rng;

namespace {

inline double fr(double x) { return static_cast<double>(static_cast<float>(x)); }

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

// Both NaN counts as equal (NaN payloads are not part of the contract).
bool same(const float* a, const float* b, size_t n, size_t* at) {
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (bits(a[i]) != bits(b[i])) {
      *at = i;
      return false;
    }
  }
  return true;
}

void fill(float* x, size_t n, float scale, bool nonneg) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    float v = normal(rng()) * scale;
    if (rng()() % 16 == 0) v *= 1e-21f;  // squares and products land in the denormal range
    if (rng()() % 64 == 0) v = (rng()() & 1) ? 0.0f : -0.0f;
    x[i] = nonneg ? std::fabs(v) : v;
  }
}

// adam.ts adamUpdate, general loop, in doubles.
void adam_ref(float* p, const float* grad, float* m, float* v, float* vmax, size_t n, double beta1, double beta2,
              double eps, double wd, double decay, double step_size, double bc2sqrt, bool maximize) {
  const double b1 = fr(beta1), ob1 = fr(1 - beta1), b2 = fr(beta2), ob2 = fr(1 - beta2), epsf = fr(eps);
  const double nss = fr(-step_size), rbc2 = 1 / fr(bc2sqrt), wdf = fr(wd), sgn = maximize ? -1 : 1;
  const bool decoupled = !std::isnan(decay);
  const double decayf = decoupled ? fr(decay) : 1;
  const bool l2 = !decoupled && wd != 0;
  for (size_t i = 0; i < n; ++i) {
    double gi = sgn * grad[i];
    double pi = p[i];
    if (l2) gi = fr(gi + wdf * pi);
    else if (decoupled) pi = fr(pi * decayf);
    const double mi = fr(fr(m[i] * b1) + ob1 * gi);
    m[i] = static_cast<float>(mi);
    double vi = fr(fr(v[i] * b2) + fr(ob2 * gi) * gi);
    v[i] = static_cast<float>(vi);
    if (vmax) {
      const double a = vmax[i];
      vi = (std::isnan(a) || std::isnan(vi)) ? NAN : (a == vi ? (std::signbit(a) ? vi : a) : std::max(a, vi));
      vmax[i] = static_cast<float>(vi);
    }
    const double denom = fr(fr(fr(std::sqrt(vi)) * rbc2) + epsf);
    p[i] = static_cast<float>(pi + fr(fr(nss * mi) / denom));
  }
}

// rmsprop.ts rmspropUpdate, general loop, in doubles.
void rmsprop_ref(float* p, const float* grad, float* sq, float* ga, float* buf, size_t n, double lr, double alpha,
                 double eps, double wd, double momentum, bool maximize) {
  const double af = fr(alpha), oa = fr(1 - alpha), epsf = fr(eps), wdf = fr(wd), mf = fr(momentum), nlr = fr(-lr);
  const double sgn = maximize ? -1 : 1;
  for (size_t i = 0; i < n; ++i) {
    double gi = sgn * grad[i];
    if (wd != 0) gi = fr(gi + wdf * p[i]);
    const double si = fr(fr(sq[i] * af) + fr(oa * gi) * gi);
    sq[i] = static_cast<float>(si);
    double avg;
    if (ga) {
      const double gai = fr(fr(ga[i] * af) + oa * gi);
      ga[i] = static_cast<float>(gai);
      avg = fr(std::sqrt(fr(si - gai * gai)));
    } else {
      avg = fr(std::sqrt(si));
    }
    avg = fr(avg + epsf);
    if (buf) {
      const double b = fr(fr(buf[i] * mf) + fr(gi / avg));
      buf[i] = static_cast<float>(b);
      p[i] = static_cast<float>(p[i] + nlr * b);
    } else {
      p[i] = static_cast<float>(p[i] + fr(fr(nlr * gi) / avg));
    }
  }
}

const size_t kSizes[] = {0, 1, 3, 17, 4096, 65535, 65536, 65537, 200003};

void check_adam(size_t n, bool decoupled, double wd, bool amsgrad, bool maximize) {
  const std::string what = "adam n=" + std::to_string(n) + " decoupled=" + std::to_string(decoupled) +
                           " wd=" + std::to_string(wd) + " amsgrad=" + std::to_string(amsgrad) +
                           " maximize=" + std::to_string(maximize);
  GuardedBuffer<float> p(n), g(n), m(n), v(n), vm(n);
  fill(p.data(), n, 1.0f, false);
  std::vector<float> rp(p.data(), p.data() + n), rm(n, 0.0f), rv(n, 0.0f), rvm(n, 0.0f);
  std::fill(m.data(), m.data() + n, 0.0f);
  std::fill(v.data(), v.data() + n, 0.0f);
  std::fill(vm.data(), vm.data() + n, 0.0f);
  const double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  for (int step = 1; step <= 3; ++step) {
    fill(g.data(), n, 0.1f, false);
    const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
    const double step_size = lr / bc1, bc2sqrt = std::sqrt(bc2);
    const double decay = decoupled ? 1 - lr * wd : NAN;
    adam_ref(rp.data(), g.data(), rm.data(), rv.data(), amsgrad ? rvm.data() : nullptr, n, beta1, beta2, eps, wd, decay,
             step_size, bc2sqrt, maximize);
    AdamParams q;
    q.param = p.data();
    q.grad = g.data();
    q.exp_avg = m.data();
    q.exp_avg_sq = v.data();
    q.max_exp_avg_sq = amsgrad ? vm.data() : nullptr;
    q.n = n;
    q.beta1 = static_cast<float>(beta1);
    q.one_minus_beta1 = static_cast<float>(1 - beta1);
    q.beta2 = static_cast<float>(beta2);
    q.one_minus_beta2 = static_cast<float>(1 - beta2);
    q.eps = static_cast<float>(eps);
    q.neg_step_size = static_cast<float>(-step_size);
    q.inv_bc2_sqrt = 1 / fr(bc2sqrt);
    q.weight_decay = static_cast<float>(wd);
    q.decay = decoupled ? static_cast<float>(decay) : 1.0f;
    q.decoupled = decoupled;
    q.maximize = maximize;
    EXPECT_TRUE(adam_update(q) == Status::kOk);
    size_t at = 0;
    EXPECT_MSG(same(p.data(), rp.data(), n, &at), what + ": param differs at " + std::to_string(at));
    EXPECT_MSG(same(m.data(), rm.data(), n, &at), what + ": expAvg differs at " + std::to_string(at));
    EXPECT_MSG(same(v.data(), rv.data(), n, &at), what + ": expAvgSq differs at " + std::to_string(at));
    if (amsgrad) EXPECT_MSG(same(vm.data(), rvm.data(), n, &at), what + ": maxExpAvgSq differs at " + std::to_string(at));
  }
}

void check_rmsprop(size_t n, double wd, bool centered, double momentum, bool maximize) {
  const std::string what = "rmsprop n=" + std::to_string(n) + " wd=" + std::to_string(wd) +
                           " centered=" + std::to_string(centered) + " momentum=" + std::to_string(momentum) +
                           " maximize=" + std::to_string(maximize);
  GuardedBuffer<float> p(n), g(n), sq(n), ga(n), buf(n);
  fill(p.data(), n, 1.0f, false);
  std::vector<float> rp(p.data(), p.data() + n), rsq(n, 0.0f), rga(n, 0.0f), rbuf(n, 0.0f);
  std::fill(sq.data(), sq.data() + n, 0.0f);
  std::fill(ga.data(), ga.data() + n, 0.0f);
  std::fill(buf.data(), buf.data() + n, 0.0f);
  const double lr = 1e-2, alpha = 0.99, eps = 1e-8;
  for (int step = 1; step <= 3; ++step) {
    fill(g.data(), n, 0.1f, false);
    rmsprop_ref(rp.data(), g.data(), rsq.data(), centered ? rga.data() : nullptr, momentum > 0 ? rbuf.data() : nullptr, n,
                lr, alpha, eps, wd, momentum, maximize);
    RmspropParams q;
    q.param = p.data();
    q.grad = g.data();
    q.square_avg = sq.data();
    q.grad_avg = centered ? ga.data() : nullptr;
    q.momentum_buffer = momentum > 0 ? buf.data() : nullptr;
    q.n = n;
    q.alpha = static_cast<float>(alpha);
    q.one_minus_alpha = static_cast<float>(1 - alpha);
    q.eps = static_cast<float>(eps);
    q.weight_decay = static_cast<float>(wd);
    q.momentum = static_cast<float>(momentum);
    q.neg_lr = static_cast<float>(-lr);
    q.maximize = maximize;
    EXPECT_TRUE(rmsprop_update(q) == Status::kOk);
    size_t at = 0;
    EXPECT_MSG(same(p.data(), rp.data(), n, &at), what + ": param differs at " + std::to_string(at));
    EXPECT_MSG(same(sq.data(), rsq.data(), n, &at), what + ": squareAvg differs at " + std::to_string(at));
    if (centered) EXPECT_MSG(same(ga.data(), rga.data(), n, &at), what + ": gradAvg differs at " + std::to_string(at));
    if (momentum > 0) EXPECT_MSG(same(buf.data(), rbuf.data(), n, &at), what + ": momentumBuffer differs at " + std::to_string(at));
  }
}

}  // namespace

TEST(optim_adam_matches_ts_ref) {
  for (size_t n : kSizes)
    for (int decoupled = 0; decoupled < 2; ++decoupled)
      for (double wd : {0.0, 1e-2})
        for (int amsgrad = 0; amsgrad < 2; ++amsgrad)
          for (int maximize = 0; maximize < 2; ++maximize) check_adam(n, decoupled, wd, amsgrad, maximize);
}

TEST(optim_rmsprop_matches_ts_ref) {
  for (size_t n : kSizes)
    for (double wd : {0.0, 1e-2})
      for (int centered = 0; centered < 2; ++centered)
        for (double momentum : {0.0, 0.9})
          for (int maximize = 0; maximize < 2; ++maximize) check_rmsprop(n, wd, centered, momentum, maximize);
}

TEST(optim_result_independent_of_threads) {
  const int saved = get_num_threads();
  set_num_threads(1);
  check_adam(200003, true, 1e-2, true, false);
  check_rmsprop(200003, 1e-2, true, 0.9, true);
  set_num_threads(saved);
}

TEST(optim_rejects_null_pointers) {
  AdamParams a;
  a.n = 4;
  EXPECT_TRUE(adam_update(a) == Status::kInvalidArgument);
  RmspropParams r;
  r.n = 4;
  EXPECT_TRUE(rmsprop_update(r) == Status::kInvalidArgument);
  a.n = 0;
  EXPECT_TRUE(adam_update(a) == Status::kOk);
}

TEST(optim_amsgrad_max_follows_math_max) {
  // vmax vs v: equal zeros of either sign, NaN on either side.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float vmax0[] = {0.0f, -0.0f, -0.0f, 0.0f, nan, 1.0f, 2.0f};
  GuardedBuffer<float> p(7), g(7), m(7), v(7), vm(7);
  for (int i = 0; i < 7; ++i) {
    p.data()[i] = 1.0f;
    g.data()[i] = 0.0f;
    m.data()[i] = 0.0f;
    v.data()[i] = 0.0f;
    vm.data()[i] = vmax0[i];
  }
  AdamParams q;
  q.param = p.data();
  q.grad = g.data();
  q.exp_avg = m.data();
  q.exp_avg_sq = v.data();
  q.max_exp_avg_sq = vm.data();
  q.n = 7;
  q.beta1 = 0.9f;
  q.one_minus_beta1 = 0.1f;
  q.beta2 = 0.999f;
  q.one_minus_beta2 = 0.001f;
  q.eps = 1e-8f;
  q.neg_step_size = -0.01f;
  EXPECT_TRUE(adam_update(q) == Status::kOk);
  // v is +0 everywhere: max(+0, +0) = +0, max(-0, +0) = +0, NaN stays NaN, larger vmax kept.
  EXPECT_EQ(bits(vm.data()[0]), 0u);
  EXPECT_EQ(bits(vm.data()[1]), 0u);
  EXPECT_EQ(bits(vm.data()[2]), 0u);
  EXPECT_TRUE(std::isnan(vm.data()[4]));
  EXPECT_EQ(vm.data()[5], 1.0f);
  EXPECT_EQ(vm.data()[6], 2.0f);
}
