// Size arithmetic and the stored-matrix check shared by the op drivers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nnslim {
namespace detail {

inline size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }
inline size_t div_up(size_t x, size_t m) { return (x + m - 1) / m; }

// A stored rows x cols matrix of `elem`-byte elements with row stride ld: ld >= max(1, cols),
// pointer present when the matrix is not empty, and the last element's end (in bytes) fits
// int64.
inline bool matrix_ok(int64_t rows, int64_t cols, int64_t ld, const void* ptr, int64_t elem = 4) {
  if (ld < 1 || ld < cols) return false;
  if (rows == 0 || cols == 0) return true;
  if (ptr == nullptr) return false;
  int64_t off = 0;
  if (__builtin_mul_overflow(rows - 1, ld, &off)) return false;
  if (__builtin_add_overflow(off, cols, &off)) return false;
  return !__builtin_mul_overflow(off, elem, &off);
}

}  // namespace detail
}  // namespace nnslim
