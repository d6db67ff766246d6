// The batchnorm streaming loops, written once over a small SIMD traits type V and compiled
// into each ISA file with that file's flags (V = zmm, ymm, NEON q registers or plain float).
// V provides: kW (lanes), T, load, store, stream (aligned non-temporal), set1, zero, add, sub,
// mul, fma(a, b, c) = a * b + c, relu, hsum (to double), fence, aligned(ptr).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "batchnorm_ukernel.h"

namespace nnslim {
namespace batchnorm_detail {

template <class V>
struct Generic {
  using T = typename V::T;
  static constexpr size_t W = V::kW;

  static inline float relu1(float v, bool relu) { return relu && v < 0.0f ? 0.0f : v; }

  // (x - m) * a + b, or x * a + b without m (HasM = false).
  template <bool HasM>
  static inline T affine(T x, const float* m, size_t i, T a, T b) {
    return HasM ? V::fma(V::sub(x, V::load(m + i)), a, b) : V::fma(x, a, b);
  }
  template <bool HasM>
  static inline float affine1(float x, const float* m, size_t i, float a, float b) {
    return HasM ? (x - m[i]) * a + b : x * a + b;
  }

  template <bool HasM, bool Relu, bool Stream>
  static void apply_vec_t(size_t n, const float* x, const float* m, const float* a, const float* b,
                          float* y) {
    size_t i = 0;
    if (Stream)
      for (; i < n && !V::aligned(y + i); ++i) y[i] = relu1(affine1<HasM>(x[i], m, i, a[i], b[i]), Relu);
    for (; i + 2 * W <= n; i += 2 * W) {
      T v0 = affine<HasM>(V::load(x + i), m, i, V::load(a + i), V::load(b + i));
      T v1 = affine<HasM>(V::load(x + i + W), m, i + W, V::load(a + i + W), V::load(b + i + W));
      if (Relu) { v0 = V::relu(v0); v1 = V::relu(v1); }
      if (Stream) { V::stream(y + i, v0); V::stream(y + i + W, v1); }
      else { V::store(y + i, v0); V::store(y + i + W, v1); }
    }
    for (; i < n; ++i) y[i] = relu1(affine1<HasM>(x[i], m, i, a[i], b[i]), Relu);
    if (Stream) V::fence();
  }
  // Cache-resident rows: one row at a time over a channel chunk the driver keeps small enough
  // for the parameter vectors to stay in L1, touching the next row's chunk ahead so each short
  // run does not wait for the hardware prefetcher to retrain.
  template <bool HasM, bool Relu>
  static void apply_rows_t(size_t n, size_t nrows, size_t ld, const float* x, const float* m,
                           const float* a, const float* b, float* y) {
    for (size_t r = 0; r < nrows; ++r) {
      const float* xr = x + r * ld;
      float* yr = y + r * ld;
      const bool ahead = r + 1 < nrows;
      size_t i = 0;
      for (; i + W <= n; i += W) {
        if (ahead && (i % 16) == 0) {
          __builtin_prefetch(xr + ld + i, 0, 3);
          __builtin_prefetch(yr + ld + i, 0, 3);
        }
        T v = affine<HasM>(V::load(xr + i), m, i, V::load(a + i), V::load(b + i));
        if (Relu) v = V::relu(v);
        V::store(yr + i, v);
      }
      for (; i < n; ++i) yr[i] = relu1(affine1<HasM>(xr[i], m, i, a[i], b[i]), Relu);
    }
  }
  template <bool HasM>
  static void apply_vec_m(size_t n, size_t nrows, size_t ld, const float* x, const float* m,
                          const float* a, const float* b, float* y, bool relu, bool stream) {
    if (!stream) {
      relu ? apply_rows_t<HasM, true>(n, nrows, ld, x, m, a, b, y) : apply_rows_t<HasM, false>(n, nrows, ld, x, m, a, b, y);
      return;
    }
    for (size_t r = 0; r < nrows; ++r) {
      const float* xr = x + r * ld;
      float* yr = y + r * ld;
      if (stream) {
        relu ? apply_vec_t<HasM, true, true>(n, xr, m, a, b, yr) : apply_vec_t<HasM, false, true>(n, xr, m, a, b, yr);
      } else {
        relu ? apply_vec_t<HasM, true, false>(n, xr, m, a, b, yr) : apply_vec_t<HasM, false, false>(n, xr, m, a, b, yr);
      }
    }
  }
  static void apply_vec(size_t n, size_t nrows, size_t ld, const float* x, const float* m,
                        const float* a, const float* b, float* y, bool relu, bool stream) {
    if (m) {
      apply_vec_m<true>(n, nrows, ld, x, m, a, b, y, relu, stream);
    } else {
      apply_vec_m<false>(n, nrows, ld, x, m, a, b, y, relu, stream);
    }
  }

  template <bool Relu, bool Stream>
  static void apply_bc_t(size_t n, const float* x, float m, float a, float b, float* y) {
    size_t i = 0;
    if (Stream)
      for (; i < n && !V::aligned(y + i); ++i) y[i] = relu1((x[i] - m) * a + b, Relu);
    const T vm = V::set1(m), va = V::set1(a), vb = V::set1(b);
    for (; i + 2 * W <= n; i += 2 * W) {
      T v0 = V::fma(V::sub(V::load(x + i), vm), va, vb);
      T v1 = V::fma(V::sub(V::load(x + i + W), vm), va, vb);
      if (Relu) { v0 = V::relu(v0); v1 = V::relu(v1); }
      if (Stream) { V::stream(y + i, v0); V::stream(y + i + W, v1); }
      else { V::store(y + i, v0); V::store(y + i + W, v1); }
    }
    for (; i < n; ++i) y[i] = relu1((x[i] - m) * a + b, Relu);
    if (Stream) V::fence();
  }
  static void apply_bc(size_t n, const float* x, float m, float a, float b, float* y, bool relu,
                       bool stream) {
    if (stream) {
      relu ? apply_bc_t<true, true>(n, x, m, a, b, y) : apply_bc_t<false, true>(n, x, m, a, b, y);
    } else {
      relu ? apply_bc_t<true, false>(n, x, m, a, b, y) : apply_bc_t<false, false>(n, x, m, a, b, y);
    }
  }

  static void stats_vec(size_t n, size_t nrows, size_t ld, const float* x, const float* p,
                        float* s1, float* s2) {
    size_t i = 0;
    for (; i + W <= n; i += W) {
      const T vp = V::load(p + i);
      T a1 = V::load(s1 + i), a2 = V::load(s2 + i);
      for (size_t r = 0; r < nrows; ++r) {
        const T d = V::sub(V::load(x + r * ld + i), vp);
        a1 = V::add(a1, d);
        a2 = V::fma(d, d, a2);
      }
      V::store(s1 + i, a1);
      V::store(s2 + i, a2);
    }
    for (; i < n; ++i)
      for (size_t r = 0; r < nrows; ++r) {
        const float d = x[r * ld + i] - p[i];
        s1[i] += d;
        s2[i] += d * d;
      }
  }

  static void stats_bc(size_t n, const float* x, float p, double* s1, double* s2) {
    const T vp = V::set1(p);
    size_t i = 0;
    while (i + W <= n) {
      // At most kBlockRows vectors per lane in float before folding into double.
      const size_t stop = n - (n - i) % W;
      const size_t end = std::min(stop, i + kBlockRows * 2 * W);
      T a1 = V::zero(), a2 = V::zero(), b1 = V::zero(), b2 = V::zero();
      for (; i + 2 * W <= end; i += 2 * W) {
        const T d0 = V::sub(V::load(x + i), vp), d1 = V::sub(V::load(x + i + W), vp);
        a1 = V::add(a1, d0);
        a2 = V::fma(d0, d0, a2);
        b1 = V::add(b1, d1);
        b2 = V::fma(d1, d1, b2);
      }
      for (; i + W <= end; i += W) {
        const T d0 = V::sub(V::load(x + i), vp);
        a1 = V::add(a1, d0);
        a2 = V::fma(d0, d0, a2);
      }
      *s1 += V::hsum(V::add(a1, b1));
      *s2 += V::hsum(V::add(a2, b2));
    }
    for (; i < n; ++i) {
      const double d = static_cast<double>(x[i] - p);
      *s1 += d;
      *s2 += d * d;
    }
  }

  static void bwd_reduce_vec(size_t n, size_t nrows, size_t ld, const float* dy, const float* x,
                             const float* mean, float* sg, float* sgx) {
    size_t i = 0;
    for (; i + W <= n; i += W) {
      const T vm = V::load(mean + i);
      T a1 = V::load(sg + i), a2 = V::load(sgx + i);
      for (size_t r = 0; r < nrows; ++r) {
        const T g = V::load(dy + r * ld + i);
        a1 = V::add(a1, g);
        a2 = V::fma(g, V::sub(V::load(x + r * ld + i), vm), a2);
      }
      V::store(sg + i, a1);
      V::store(sgx + i, a2);
    }
    for (; i < n; ++i)
      for (size_t r = 0; r < nrows; ++r) {
        const float g = dy[r * ld + i];
        sg[i] += g;
        sgx[i] += g * (x[r * ld + i] - mean[i]);
      }
  }

  static void bwd_reduce_bc(size_t n, const float* dy, const float* x, float mean, double* sg,
                            double* sgx) {
    const T vm = V::set1(mean);
    size_t i = 0;
    while (i + W <= n) {
      const size_t stop = n - (n - i) % W;
      const size_t end = std::min(stop, i + kBlockRows * W);
      T a1 = V::zero(), a2 = V::zero();
      for (; i + W <= end; i += W) {
        const T g = V::load(dy + i);
        a1 = V::add(a1, g);
        a2 = V::fma(g, V::sub(V::load(x + i), vm), a2);
      }
      *sg += V::hsum(a1);
      *sgx += V::hsum(a2);
    }
    for (; i < n; ++i) {
      *sg += dy[i];
      *sgx += static_cast<double>(dy[i]) * (x[i] - mean);
    }
  }

  static void bwd_apply_vec(size_t n, const float* dy, const float* x, const float* m,
                            const float* q, const float* d, const float* k, float* dx) {
    size_t i = 0;
    for (; i + W <= n; i += W) {
      const T t = V::fma(V::sub(V::load(x + i), V::load(m + i)), V::load(q + i), V::load(d + i));
      V::store(dx + i, V::mul(V::sub(V::load(dy + i), t), V::load(k + i)));
    }
    for (; i < n; ++i) dx[i] = (dy[i] - ((x[i] - m[i]) * q[i] + d[i])) * k[i];
  }

  static void bwd_apply_bc(size_t n, const float* dy, const float* x, float m, float q, float d,
                           float k, float* dx) {
    const T vm = V::set1(m), vq = V::set1(q), vd = V::set1(d), vk = V::set1(k);
    size_t i = 0;
    for (; i + W <= n; i += W) {
      const T t = V::fma(V::sub(V::load(x + i), vm), vq, vd);
      V::store(dx + i, V::mul(V::sub(V::load(dy + i), t), vk));
    }
    for (; i < n; ++i) dx[i] = (dy[i] - ((x[i] - m) * q + d)) * k;
  }

  static constexpr BatchnormUkernel make(const char* name, Isa isa) {
    return BatchnormUkernel{name,      isa,          apply_vec,      apply_bc,
                            stats_vec, stats_bc,     bwd_reduce_vec, bwd_reduce_bc,
                            bwd_apply_vec, bwd_apply_bc};
  }
};

}  // namespace batchnorm_detail
}  // namespace nnslim
