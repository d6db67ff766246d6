// Magnitude selection (select.h). ISA-free: the passes are integer loops the compiler
// vectorizes at the baseline ISA. Radix-style: a parallel histogram of the top 12 key bits
// finds the bin holding rank k, then only that bin's keys are selected with nth_element, so
// the work is one streaming pass over n plus O(bin size); no adversarial input is quadratic.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "nnslim/select.h"
#include "nnslim/threadpool.h"

namespace nnslim {

namespace {

constexpr uint32_t kAbsMask = 0x7fffffffu;
constexpr uint32_t kInfKey = 0x7f800000u;
constexpr int kBinShift = 19;                 // 31 key bits -> top 12 bits
constexpr size_t kBins = size_t{1} << 12;
constexpr size_t kChunk = size_t{1} << 18;    // elements per parallel task
constexpr size_t kDirectMax = size_t{1} << 16;  // below this: gather + nth_element directly

inline uint32_t key_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u & kAbsMask;
}

inline float value_of(uint32_t key) {
  float v;
  std::memcpy(&v, &key, sizeof v);
  return v;
}

size_t num_chunks(size_t n) { return (n + kChunk - 1) / kChunk; }

// Runs fn(chunk, begin, end) over kChunk-sized pieces of [0, n), in parallel when worthwhile.
template <typename F>
void for_chunks(size_t n, F&& fn) {
  const size_t chunks = num_chunks(n);
  if (chunks <= 1 || get_num_threads() <= 1) {
    for (size_t c = 0; c < chunks; ++c) fn(c, c * kChunk, std::min(n, (c + 1) * kChunk));
    return;
  }
  parallel_for(static_cast<std::ptrdiff_t>(chunks), [&](std::ptrdiff_t t) {
    const size_t c = static_cast<size_t>(t);
    fn(c, c * kChunk, std::min(n, (c + 1) * kChunk));
  });
}

// Selects rank r among keys (reordering them); returns the key and adds to *less the count
// of keys strictly below it.
uint32_t select_keys(std::vector<uint32_t>& keys, size_t r, size_t* less) {
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(r), keys.end());
  const uint32_t kth = keys[r];
  size_t below = 0;
  for (size_t i = 0; i < r; ++i) below += keys[i] < kth;
  *less += below;
  return kth;
}

}  // namespace

Status kth_smallest_magnitude(const float* x, const uint8_t* mask, size_t n, size_t k, float* value,
                              size_t* less) {
  if (value == nullptr || less == nullptr || (n > 0 && x == nullptr)) return Status::kInvalidArgument;
  if (k >= n) return Status::kInvalidArgument;

  if (n <= kDirectMax) {
    std::vector<uint32_t> keys;
    keys.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t key = key_of(x[i]);
      if (key > kInfKey) return Status::kInvalidArgument;
      if (mask == nullptr || mask[i] != 0) keys.push_back(key);
    }
    if (k >= keys.size()) return Status::kInvalidArgument;
    *less = 0;
    *value = value_of(select_keys(keys, k, less));
    return Status::kOk;
  }

  // Pass 1: per-chunk histograms of the top key bits (and NaN detection).
  const size_t chunks = num_chunks(n);
  std::vector<std::array<uint32_t, kBins>> hist(chunks);
  std::vector<uint8_t> has_nan(chunks, 0);
  for_chunks(n, [&](size_t c, size_t b, size_t e) {
    auto& h = hist[c];
    h.fill(0);
    uint32_t max_key = 0;
    if (mask == nullptr) {
      for (size_t i = b; i < e; ++i) {
        const uint32_t key = key_of(x[i]);
        max_key = std::max(max_key, key);
        ++h[key >> kBinShift];
      }
    } else {
      for (size_t i = b; i < e; ++i) {
        const uint32_t key = key_of(x[i]);
        max_key = std::max(max_key, key);
        h[key >> kBinShift] += mask[i] != 0;
      }
    }
    has_nan[c] = max_key > kInfKey;
  });
  for (uint8_t f : has_nan)
    if (f) return Status::kInvalidArgument;

  std::vector<uint64_t> total(kBins, 0);
  for (const auto& h : hist)
    for (size_t i = 0; i < kBins; ++i) total[i] += h[i];
  size_t below = 0, bin = 0;
  for (; bin < kBins; ++bin) {
    if (below + total[bin] > k) break;
    below += static_cast<size_t>(total[bin]);
  }
  if (bin == kBins) return Status::kInvalidArgument;  // k >= candidate count

  // Pass 2: gather the keys of that bin, chunk by chunk, at offsets from the histograms.
  std::vector<size_t> offset(chunks + 1, 0);
  for (size_t c = 0; c < chunks; ++c) offset[c + 1] = offset[c] + hist[c][bin];
  std::vector<uint32_t> keys(offset[chunks]);
  const uint32_t want = static_cast<uint32_t>(bin);
  for_chunks(n, [&](size_t c, size_t b, size_t e) {
    uint32_t* out = keys.data() + offset[c];
    for (size_t i = b; i < e; ++i) {
      if (mask != nullptr && mask[i] == 0) continue;
      const uint32_t key = key_of(x[i]);
      if ((key >> kBinShift) == want) *out++ = key;
    }
  });
  *less = below;
  *value = value_of(select_keys(keys, k - below, less));
  return Status::kOk;
}

Status magnitude_prune_mask(const float* x, uint8_t* mask, size_t n, float threshold, size_t ties,
                            size_t* ties_left) {
  if (ties_left == nullptr || (n > 0 && (x == nullptr || mask == nullptr))) return Status::kInvalidArgument;
  const uint32_t tkey = key_of(threshold);
  if (tkey > kInfKey) return Status::kInvalidArgument;

  const size_t chunks = num_chunks(n);
  // Tie budget of each chunk: the ties are spent in index order across chunks.
  std::vector<size_t> budget(chunks, 0);
  if (ties > 0) {
    std::vector<size_t> equal(chunks, 0);
    for_chunks(n, [&](size_t c, size_t b, size_t e) {
      size_t cnt = 0;
      for (size_t i = b; i < e; ++i) cnt += (mask[i] != 0) & (key_of(x[i]) == tkey);
      equal[c] = cnt;
    });
    size_t left = ties;
    for (size_t c = 0; c < chunks; ++c) {
      budget[c] = std::min(left, equal[c]);
      left -= budget[c];
    }
    *ties_left = left;
  } else {
    *ties_left = 0;
  }
  for_chunks(n, [&](size_t c, size_t b, size_t e) {
    // Branch-free pass for the entries below the threshold, then the chunk's ties in order.
    for (size_t i = b; i < e; ++i) mask[i] = static_cast<uint8_t>((mask[i] != 0) & (key_of(x[i]) >= tkey));
    size_t left = budget[c];
    for (size_t i = b; i < e && left > 0; ++i) {
      if (mask[i] != 0 && key_of(x[i]) == tkey) {
        mask[i] = 0;
        --left;
      }
    }
  });
  return Status::kOk;
}

}  // namespace nnslim
