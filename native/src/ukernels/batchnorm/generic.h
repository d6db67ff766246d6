// The batchnorm streaming loops, written once over a small SIMD traits type V and compiled
// into each ISA file with that file's flags (V = zmm, ymm, NEON q registers or plain float).
// V provides: kW (lanes), kGroup (channel vectors per reduction group), T, load, store,
// stream (aligned non-temporal), set1, zero, add, sub, mul, fma(a, b, c) = a * b + c, relu,
// hsum (to double), accd(double* s, v) (s[0..kW) += v widened to double), fence, aligned(ptr).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "batchnorm_ukernel.h"

namespace nnslim {
namespace batchnorm_detail {

template <class V>
struct Generic {
  using T = typename V::T;
  static constexpr size_t W = V::kW;
  // Channel vectors summed side by side in the reductions (independent dependency chains).
  static constexpr size_t kGroup = V::kGroup;

  static inline float relu1(float v, bool relu) { return relu && v < 0.0f ? 0.0f : v; }

  // y = x * a + b (relu), PyTorch's alpha / beta form: the driver folds the mean into b.
  // Scalar steps first until y is vector-aligned: malloc'd (and V8's) large blocks start 16
  // bytes past a 64-byte line, and loads and stores that split lines cost about a quarter of
  // the cache-resident throughput. x and the parameters share y's offset in the usual case
  // (the driver arranges it for the parameters), so their loads line up as well.
  template <bool Relu, bool Stream>
  static void apply_vec_t(size_t n, const float* x, const float* a, const float* b, float* y) {
    size_t i = 0;
    for (; i < n && !V::aligned(y + i); ++i) y[i] = relu1(x[i] * a[i] + b[i], Relu);
    // Four vectors per step, their x loads first: memmove's loop shape (on Zen 4 a copy loop
    // in this shape runs at memcpy speed, one with two vectors per step well below it).
    for (; i + 4 * W <= n; i += 4 * W) {
      T v0 = V::load(x + i), v1 = V::load(x + i + W), v2 = V::load(x + i + 2 * W), v3 = V::load(x + i + 3 * W);
      v0 = V::fma(v0, V::load(a + i), V::load(b + i));
      v1 = V::fma(v1, V::load(a + i + W), V::load(b + i + W));
      v2 = V::fma(v2, V::load(a + i + 2 * W), V::load(b + i + 2 * W));
      v3 = V::fma(v3, V::load(a + i + 3 * W), V::load(b + i + 3 * W));
      if (Relu) { v0 = V::relu(v0); v1 = V::relu(v1); v2 = V::relu(v2); v3 = V::relu(v3); }
      if (Stream) { V::stream(y + i, v0); V::stream(y + i + W, v1); V::stream(y + i + 2 * W, v2); V::stream(y + i + 3 * W, v3); }
      else { V::store(y + i, v0); V::store(y + i + W, v1); V::store(y + i + 2 * W, v2); V::store(y + i + 3 * W, v3); }
    }
    for (; i + W <= n; i += W) {
      T v = V::fma(V::load(x + i), V::load(a + i), V::load(b + i));
      if (Relu) v = V::relu(v);
      if (Stream) V::stream(y + i, v);
      else V::store(y + i, v);
    }
    for (; i < n; ++i) y[i] = relu1(x[i] * a[i] + b[i], Relu);
    if (Stream) V::fence();
  }
  // The streaming form (output beyond the cache, non-temporal stores) over four rows that
  // share y's line offset: each parameter vector is loaded once for the four rows. Once x
  // comes from DRAM, the parameter loads' L1 misses are what keep a row-at-a-time walk below
  // a plain non-temporal copy ([65536, 3072], Zen 4: 74 -> 57 ms; 2 or 8 rows, or four
  // vectors per step, measured slower).
  template <bool Relu>
  static void apply_rows4_stream(size_t n, size_t ld, const float* x, const float* a, const float* b,
                                 float* y) {
    size_t i = 0;
    for (; i < n && !V::aligned(y + i); ++i)
      for (size_t r = 0; r < 4; ++r) y[r * ld + i] = relu1(x[r * ld + i] * a[i] + b[i], Relu);
    for (; i + 2 * W <= n; i += 2 * W) {
      const T a0 = V::load(a + i), a1 = V::load(a + i + W), b0 = V::load(b + i), b1 = V::load(b + i + W);
      for (size_t r = 0; r < 4; ++r) {
        T v0 = V::fma(V::load(x + r * ld + i), a0, b0), v1 = V::fma(V::load(x + r * ld + i + W), a1, b1);
        if (Relu) {
          v0 = V::relu(v0);
          v1 = V::relu(v1);
        }
        V::stream(y + r * ld + i, v0);
        V::stream(y + r * ld + i + W, v1);
      }
    }
    for (; i + W <= n; i += W) {
      const T va = V::load(a + i), vb = V::load(b + i);
      for (size_t r = 0; r < 4; ++r) {
        T v = V::fma(V::load(x + r * ld + i), va, vb);
        if (Relu) v = V::relu(v);
        V::stream(y + r * ld + i, v);
      }
    }
    for (; i < n; ++i)
      for (size_t r = 0; r < 4; ++r) y[r * ld + i] = relu1(x[r * ld + i] * a[i] + b[i], Relu);
    V::fence();
  }
  // The page-column runs (whole vectors, y aligned in every row): two rows per parameter load,
  // both rows' x loaded before either store. Run i + 1 starts at run i's page offset, so a
  // store to y's run i followed by a load from x's run i + 1 at the same line would wait on
  // it (4K aliasing). Zen 4, [256, 3072], standalone loops: one row at a time 0.074 ms, two
  // 0.0715, three or four (more streams) 0.080-0.088.
  template <bool Relu>
  static void apply_steps(size_t n, size_t nrows, size_t ld, const float* x, const float* a,
                          const float* b, float* y) {
    size_t r = 0;
    for (; r + 2 <= nrows; r += 2) {
      const float* xr = x + r * ld;
      float* yr = y + r * ld;
      for (size_t i = 0; i < n; i += W) {
        const T va = V::load(a + i), vb = V::load(b + i);
        const T v0 = V::load(xr + i), v1 = V::load(xr + ld + i);
        V::store(yr + i, relu_if<Relu>(V::fma(v0, va, vb)));
        V::store(yr + ld + i, relu_if<Relu>(V::fma(v1, va, vb)));
      }
    }
    if (r < nrows) {
      const float* xr = x + r * ld;
      float* yr = y + r * ld;
      for (size_t i = 0; i < n; i += W) V::store(yr + i, relu_if<Relu>(V::fma(V::load(xr + i), V::load(a + i), V::load(b + i))));
    }
  }
  template <bool Relu>
  static inline T relu_if(T v) { return Relu ? V::relu(v) : v; }

  static void apply_vec(size_t n, size_t nrows, size_t ld, const float* x, const float* a,
                        const float* b, float* y, bool relu, bool stream) {
    if (!stream && n % W == 0 && V::aligned(y) && (ld * sizeof(float)) % 64 == 0) {
      relu ? apply_steps<true>(n, nrows, ld, x, a, b, y) : apply_steps<false>(n, nrows, ld, x, a, b, y);
      return;
    }
    size_t r = 0;
    if (stream && (ld * sizeof(float)) % 64 == 0)
      for (; r + 4 <= nrows; r += 4) {
        if (relu) {
          apply_rows4_stream<true>(n, ld, x + r * ld, a, b, y + r * ld);
        } else {
          apply_rows4_stream<false>(n, ld, x + r * ld, a, b, y + r * ld);
        }
      }
    // One row at a time, left to right: the order the hardware prefetcher follows best (row
    // blocking that reuses the parameter registers measured slower on Zen 4 while the data
    // is cache-resident).
    for (; r < nrows; ++r) {
      const float* xr = x + r * ld;
      float* yr = y + r * ld;
      if (stream) relu ? apply_vec_t<true, true>(n, xr, a, b, yr) : apply_vec_t<false, true>(n, xr, a, b, yr);
      else relu ? apply_vec_t<true, false>(n, xr, a, b, yr) : apply_vec_t<false, false>(n, xr, a, b, yr);
    }
  }

  template <bool Relu, bool Stream>
  static void apply_bc_t(size_t n, const float* x, float a, float b, float* y) {
    size_t i = 0;
    if (Stream)
      for (; i < n && !V::aligned(y + i); ++i) y[i] = relu1(x[i] * a + b, Relu);
    const T va = V::set1(a), vb = V::set1(b);
    for (; i + 2 * W <= n; i += 2 * W) {
      T v0 = V::fma(V::load(x + i), va, vb);
      T v1 = V::fma(V::load(x + i + W), va, vb);
      if (Relu) { v0 = V::relu(v0); v1 = V::relu(v1); }
      if (Stream) { V::stream(y + i, v0); V::stream(y + i + W, v1); }
      else { V::store(y + i, v0); V::store(y + i + W, v1); }
    }
    for (; i < n; ++i) y[i] = relu1(x[i] * a + b, Relu);
    if (Stream) V::fence();
  }
  static void apply_bc(size_t n, const float* x, float a, float b, float* y, bool relu, bool stream) {
    if (stream) {
      relu ? apply_bc_t<true, true>(n, x, a, b, y) : apply_bc_t<false, true>(n, x, a, b, y);
    } else {
      relu ? apply_bc_t<true, false>(n, x, a, b, y) : apply_bc_t<false, false>(n, x, a, b, y);
    }
  }

  // The [N, C] reductions. A block of nrows <= kBlockRows rows is summed in float, kSubRows
  // rows at a time over groups of kGroup channel vectors (independent dependency chains; the
  // float partials f1, f2 live in L1 between sub-blocks), then added to the double totals.
  // Only kSubRows rows are read side by side, few enough streams for the DRAM prefetchers.
  static constexpr size_t kSubRows = 8;

  template <size_t G, class Step>
  static inline void reduce_group(size_t nrows, size_t ld, size_t i, float* f1, float* f2,
                                  Step&& step) {
    T a1[G], a2[G];
    for (size_t g = 0; g < G; ++g) {
      a1[g] = V::load(f1 + i + g * W);
      a2[g] = V::load(f2 + i + g * W);
    }
    for (size_t r = 0; r < nrows; ++r)
      for (size_t g = 0; g < G; ++g) step(r * ld + i + g * W, g, a1[g], a2[g]);
    for (size_t g = 0; g < G; ++g) {
      V::store(f1 + i + g * W, a1[g]);
      V::store(f2 + i + g * W, a2[g]);
    }
  }
  static void fold(size_t n, float* f1, float* f2, double* s1, double* s2) {
    size_t i = 0;
    for (; i + W <= n; i += W) {
      V::accd(s1 + i, V::load(f1 + i));
      V::accd(s2 + i, V::load(f2 + i));
    }
    for (; i < n; ++i) {
      s1[i] += f1[i];
      s2[i] += f2[i];
    }
  }

  // kRuns (the page-column runs: whole vectors, x aligned in every row): four rows per trip
  // through the partial sums, one vector at a time ([256, 3072] one thread, Zen 4: 0.055-0.059
  // -> 0.050 ms; over half-row channel slices, two threads, the kCache shape stays faster).
  static void stats_runs(size_t n, size_t nrows, size_t ld, const float* x, const float* p,
                         float* f1, float* f2) {
    size_t r = 0;
    for (; r + 4 <= nrows; r += 4) {
      const float* xr = x + r * ld;
      for (size_t i = 0; i < n; i += W) {
        const T vp = V::load(p + i);
        const T d0 = V::sub(V::load(xr + i), vp), d1 = V::sub(V::load(xr + ld + i), vp);
        const T d2 = V::sub(V::load(xr + 2 * ld + i), vp), d3 = V::sub(V::load(xr + 3 * ld + i), vp);
        T a1 = V::load(f1 + i), a2 = V::load(f2 + i);
        a1 = V::add(V::add(V::add(V::add(a1, d0), d1), d2), d3);
        a2 = V::fma(d3, d3, V::fma(d2, d2, V::fma(d1, d1, V::fma(d0, d0, a2))));
        V::store(f1 + i, a1);
        V::store(f2 + i, a2);
      }
    }
    for (; r < nrows; ++r) {
      const float* xr = x + r * ld;
      for (size_t i = 0; i < n; i += W) {
        const T d = V::sub(V::load(xr + i), V::load(p + i));
        V::store(f1 + i, V::add(V::load(f1 + i), d));
        V::store(f2 + i, V::fma(d, d, V::load(f2 + i)));
      }
    }
  }

  // Cache-resident data: kGroup channel vectors side by side. Beyond the cache (kStream): one
  // vector per step, so the sub-block's rows advance through memory in the order the DRAM
  // prefetchers follow best ([65536, 3072], Zen 4, AVX-512: statistics 46.9 -> 41.3 ms,
  // backward reduction + dx 270-281 -> 252-258 ms; cache-resident, four side by side measured
  // 7% faster than one).
  static void stats_vec(size_t n, size_t nrows, size_t ld, const float* x, const float* p,
                        float* f1, float* f2, double* s1, double* s2, ReduceShape shape) {
    if (shape == ReduceShape::kRuns && n % W == 0 && V::aligned(x) && (ld * sizeof(float)) % 64 == 0) {
      std::fill(f1, f1 + n, 0.0f);
      std::fill(f2, f2 + n, 0.0f);
      stats_runs(n, nrows, ld, x, p, f1, f2);
      fold(n, f1, f2, s1, s2);
      return;
    }
    if (shape == ReduceShape::kStream) {
      stats_vec_t<1>(n, nrows, ld, x, p, f1, f2, s1, s2);
    } else {
      stats_vec_t<kGroup>(n, nrows, ld, x, p, f1, f2, s1, s2);
    }
  }
  template <size_t G>
  static void stats_vec_t(size_t n, size_t nrows, size_t ld, const float* x, const float* p,
                          float* f1, float* f2, double* s1, double* s2) {
    std::fill(f1, f1 + n, 0.0f);
    std::fill(f2, f2 + n, 0.0f);
    for (size_t r0 = 0; r0 < nrows; r0 += kSubRows) {
      const size_t rows = std::min(kSubRows, nrows - r0);
      const float* xb = x + r0 * ld;
      const auto scalar = [&](size_t o, size_t c) {
        const float d = xb[o] - p[c];
        f1[c] += d;
        f2[c] += d * d;
      };
      // Channels before the first vector-aligned x one, one at a time (see apply_vec_t).
      size_t i = 0;
      while (i < n && !V::aligned(x + i)) ++i;
      scalar_rows(0, i, rows, ld, scalar);
      for (; i + G * W <= n; i += G * W) {
        T vp[G];
        for (size_t g = 0; g < G; ++g) vp[g] = V::load(p + i + g * W);
        reduce_group<G>(rows, ld, i, f1, f2, [&](size_t o, size_t g, T& a1, T& a2) {
          const T d = V::sub(V::load(xb + o), vp[g]);
          a1 = V::add(a1, d);
          a2 = V::fma(d, d, a2);
        });
      }
      for (; i + W <= n; i += W) {
        const T vp = V::load(p + i);
        reduce_group<1>(rows, ld, i, f1, f2, [&](size_t o, size_t, T& a1, T& a2) {
          const T d = V::sub(V::load(xb + o), vp);
          a1 = V::add(a1, d);
          a2 = V::fma(d, d, a2);
        });
      }
      scalar_rows(i, n, rows, ld, scalar);
    }
    fold(n, f1, f2, s1, s2);
  }
  // step(r * ld + i, i) for channels [i0, i1) of `rows` rows, one float at a time, rows
  // outside: the channels' sums are independent, a row's are not.
  template <class Step>
  static void scalar_rows(size_t i0, size_t i1, size_t rows, size_t ld, Step&& step) {
    for (size_t r = 0; r < rows; ++r)
      for (size_t i = i0; i < i1; ++i) step(r * ld + i, i);
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

  // The statistics' per-channel results, from the double sums of d = x - pivot and d^2 over
  // count values (inv_count = 1 / count): s1 becomes the mean, s2 the biased variance (a
  // rounding-negative one clamped to 0, NaN kept, as in the reference), invstd
  // 1 / sqrt(var + eps) in float. Plain loops, one operation each, which every ISA file's flags
  // vectorize (C = 3072 on Zen 4: 8 us in the ISA-free driver's baseline build, 3.8 us with
  // AVX2; one fused loop with mixed float and double does not vectorize: 9-10 us).
  static void stats_params(size_t c, double* s1, double* s2, const float* pivot, double inv_count,
                           double eps, float* invstd) {
    for (size_t j = 0; j < c; ++j) {
      const double dm = s1[j] * inv_count;
      s2[j] = s2[j] * inv_count - dm * dm;
      s1[j] = pivot[j] + dm;
    }
    for (size_t j = 0; j < c; ++j) s2[j] = std::max(s2[j], 0.0);
    for (size_t j = 0; j < c; ++j) invstd[j] = static_cast<float>(s2[j] + eps);
    for (size_t j = 0; j < c; ++j) invstd[j] = 1.0f / std::sqrt(invstd[j]);
  }

  static void bwd_reduce_vec(size_t n, size_t nrows, size_t ld, const float* dy, const float* x,
                             const float* mean, float* f1, float* f2, double* sg, double* sgx, bool stream) {
    if (stream) {
      bwd_reduce_vec_t<1>(n, nrows, ld, dy, x, mean, f1, f2, sg, sgx);
    } else {
      bwd_reduce_vec_t<kGroup>(n, nrows, ld, dy, x, mean, f1, f2, sg, sgx);
    }
  }
  template <size_t G>
  static void bwd_reduce_vec_t(size_t n, size_t nrows, size_t ld, const float* dy, const float* x,
                               const float* mean, float* f1, float* f2, double* sg, double* sgx) {
    std::fill(f1, f1 + n, 0.0f);
    std::fill(f2, f2 + n, 0.0f);
    for (size_t r0 = 0; r0 < nrows; r0 += kSubRows) {
      const size_t rows = std::min(kSubRows, nrows - r0);
      const float* gb = dy + r0 * ld;
      const float* xb = x + r0 * ld;
      const auto scalar = [&](size_t o, size_t c) {
        const float g = gb[o];
        f1[c] += g;
        f2[c] += g * (xb[o] - mean[c]);
      };
      size_t i = 0;
      while (i < n && !V::aligned(x + i)) ++i;
      scalar_rows(0, i, rows, ld, scalar);
      for (; i + G * W <= n; i += G * W) {
        T vm[G];
        for (size_t g = 0; g < G; ++g) vm[g] = V::load(mean + i + g * W);
        reduce_group<G>(rows, ld, i, f1, f2, [&](size_t o, size_t g, T& a1, T& a2) {
          const T d = V::load(gb + o);
          a1 = V::add(a1, d);
          a2 = V::fma(d, V::sub(V::load(xb + o), vm[g]), a2);
        });
      }
      for (; i + W <= n; i += W) {
        const T vm = V::load(mean + i);
        reduce_group<1>(rows, ld, i, f1, f2, [&](size_t o, size_t, T& a1, T& a2) {
          const T d = V::load(gb + o);
          a1 = V::add(a1, d);
          a2 = V::fma(d, V::sub(V::load(xb + o), vm), a2);
        });
      }
      scalar_rows(i, n, rows, ld, scalar);
    }
    fold(n, f1, f2, sg, sgx);
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
                            stats_vec, stats_bc,     stats_params,   bwd_reduce_vec,
                            bwd_reduce_bc, bwd_apply_vec, bwd_apply_bc};
  }
};

}  // namespace batchnorm_detail
}  // namespace nnslim
