// CSR construction from a dense matrix (parallel count, prefix sum, parallel fill) and the
// structural validation the SpMM kernels rely on.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "nnslim/sparse.h"
#include "nnslim/threadpool.h"

namespace nnslim {
namespace {

bool dense_ok(const CsrFromDenseParams& p) {
  if (p.rows < 0 || p.cols < 0 || p.rows > std::numeric_limits<int32_t>::max() ||
      p.cols > std::numeric_limits<int32_t>::max())
    return false;
  if (p.ld < std::max<int64_t>(1, p.cols)) return false;
  if (p.mask != nullptr && p.ld_mask < std::max<int64_t>(1, p.cols)) return false;
  if (p.rows > 0 && p.cols > 0 && p.dense == nullptr) return false;
  int64_t span = 0;
  if (__builtin_mul_overflow(p.rows, std::max(p.ld, p.ld_mask), &span)) return false;
  return true;
}

inline bool keep(const CsrFromDenseParams& p, int64_t i, int64_t j) {
  if (p.mask != nullptr) return p.mask[i * p.ld_mask + j] != 0;
  return !(std::fabs(p.dense[i * p.ld + j]) <= p.threshold);
}

// Rows per task: at least ~64K elements so small matrices stay on the calling thread.
std::ptrdiff_t row_tasks(const CsrFromDenseParams& p) {
  const int64_t per = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, p.cols));
  const int64_t tasks = (p.rows + per - 1) / per;
  return static_cast<std::ptrdiff_t>(std::min<int64_t>(tasks, 4 * get_num_threads()));
}

void split(int64_t count, std::ptrdiff_t parts, std::ptrdiff_t t, int64_t* lo, int64_t* hi) {
  *lo = count * t / parts;
  *hi = count * (t + 1) / parts;
}

}  // namespace

Status csr_count(const CsrFromDenseParams& p, int32_t* row_ptr) {
  if (!dense_ok(p) || row_ptr == nullptr) return Status::kInvalidArgument;
  row_ptr[0] = 0;
  if (p.rows == 0) return Status::kOk;
  // Counts go to row_ptr[i + 1]; per-row counts fit int32 since cols does.
  const std::ptrdiff_t tasks = std::max<std::ptrdiff_t>(1, row_tasks(p));
  parallel_for(tasks, [&](std::ptrdiff_t t) {
    int64_t r0, r1;
    split(p.rows, tasks, t, &r0, &r1);
    for (int64_t i = r0; i < r1; ++i) {
      int32_t c = 0;
      for (int64_t j = 0; j < p.cols; ++j) c += keep(p, i, j) ? 1 : 0;
      row_ptr[i + 1] = c;
    }
  });
  int64_t total = 0;
  for (int64_t i = 0; i < p.rows; ++i) {
    total += row_ptr[i + 1];
    if (total > std::numeric_limits<int32_t>::max()) return Status::kInvalidArgument;
    row_ptr[i + 1] = static_cast<int32_t>(total);
  }
  return Status::kOk;
}

Status csr_fill(const CsrFromDenseParams& p, const int32_t* row_ptr, int32_t* col_idx,
                float* values) {
  if (!dense_ok(p) || row_ptr == nullptr) return Status::kInvalidArgument;
  if (p.rows == 0 || row_ptr[p.rows] == 0) return Status::kOk;
  if (col_idx == nullptr || values == nullptr) return Status::kInvalidArgument;
  const std::ptrdiff_t tasks = std::max<std::ptrdiff_t>(1, row_tasks(p));
  parallel_for(tasks, [&](std::ptrdiff_t t) {
    int64_t r0, r1;
    split(p.rows, tasks, t, &r0, &r1);
    for (int64_t i = r0; i < r1; ++i) {
      int64_t o = row_ptr[i];
      const int64_t end = row_ptr[i + 1];
      for (int64_t j = 0; j < p.cols && o < end; ++j) {
        if (!keep(p, i, j)) continue;
        col_idx[o] = static_cast<int32_t>(j);
        values[o] = p.dense[i * p.ld + j];
        ++o;
      }
    }
  });
  return Status::kOk;
}

CsrCheck csr_check(const CsrArrays& a) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  CsrCheck r;
  auto bad = [&r](CsrProblem p, int64_t index, int64_t row, int64_t value, int64_t bound) {
    r = CsrCheck{p, index, row, value, bound};
    return r;
  };
  if (a.rows < 0 || a.rows > kMax) return bad(CsrProblem::kBadDims, 0, 0, a.rows, kMax);
  if (a.cols < 0 || a.cols > kMax) return bad(CsrProblem::kBadDims, 1, 0, a.cols, kMax);
  if (a.row_ptr_len != a.rows + 1 || a.row_ptr == nullptr)
    return bad(CsrProblem::kRowPtrLength, 0, 0, a.row_ptr_len, a.rows + 1);
  if (a.row_ptr[0] != 0) return bad(CsrProblem::kRowPtrStart, 0, 0, a.row_ptr[0], 0);
  const int64_t nnz = a.row_ptr[a.rows];
  if (a.col_idx_len != nnz || (nnz > 0 && a.col_idx == nullptr))
    return bad(CsrProblem::kColIdxLength, 0, 0, a.col_idx_len, nnz);
  if (a.values_len != nnz) return bad(CsrProblem::kValuesLength, 0, 0, a.values_len, nnz);
  for (int64_t i = 0; i < a.rows; ++i) {
    const int64_t lo = a.row_ptr[i], hi = a.row_ptr[i + 1];
    if (hi < lo) return bad(CsrProblem::kRowPtrDecreasing, i + 1, i, hi, lo);
    if (hi > nnz) return bad(CsrProblem::kRowPtrPastEnd, i + 1, i, hi, nnz);
    // lo >= 0: row_ptr[0] == 0 and the offsets so far never decreased.
    int64_t prev = -1;
    for (int64_t j = lo; j < hi; ++j) {
      const int64_t c = a.col_idx[j];
      if (c < 0 || c >= a.cols) return bad(CsrProblem::kColumnOutOfRange, j, i, c, a.cols);
      if (c <= prev) return bad(CsrProblem::kColumnNotIncreasing, j, i, c, prev);
      prev = c;
    }
  }
  return r;
}

Status csr_validate(int64_t rows, int64_t cols, const int32_t* row_ptr, const int32_t* col_idx,
                    int64_t nnz) {
  if (rows < 0 || rows > std::numeric_limits<int32_t>::max() || nnz < 0 || row_ptr == nullptr)
    return Status::kInvalidArgument;
  CsrArrays a;
  a.rows = rows;
  a.cols = cols;
  a.row_ptr = row_ptr;
  a.row_ptr_len = rows + 1;
  a.col_idx = col_idx;
  a.col_idx_len = nnz;
  a.values_len = nnz;
  return csr_check(a).problem == CsrProblem::kNone ? Status::kOk : Status::kInvalidArgument;
}

}  // namespace nnslim
