// CSR sparse weights and the sparse x dense matmul (SpMM) of nn.SparseLinear.
//
// Layout: a rows x cols CSR matrix is row_ptr[rows + 1] (int32, row_ptr[0] = 0,
// non-decreasing, row_ptr[rows] = nnz), col_idx[nnz] (int32, in [0, cols), strictly
// increasing within a row) and values[nnz] (float32, or int8 with one float scale per row:
// the value is scales[row] * q). W is stored like an nn.Linear weight: n rows (outputs) x
// k columns (inputs).
#pragma once

#include <cstdint>

#include "nnslim/kernels.h"

namespace nnslim {

// ---- construction from a dense matrix -------------------------------------------------
// Which elements of a dense rows x cols matrix (row stride ld) are kept:
//   mask != null: element (i, j) is kept iff mask[i * ld_mask + j] != 0 (explicit zeros
//                 are kept as stored entries);
//   mask == null: kept iff !(|a| <= threshold) (so NaN is kept; threshold 0 keeps every
//                 non-zero; negative thresholds keep everything).
struct CsrFromDenseParams {
  int64_t rows = 0, cols = 0;
  const float* dense = nullptr;
  int64_t ld = 0;
  const uint8_t* mask = nullptr;
  int64_t ld_mask = 0;
  float threshold = 0.0f;
};

// Pass 1 (parallel over rows): row_ptr[rows + 1] = prefix sums of the kept counts.
// kInvalidArgument when nnz would not fit int32.
Status csr_count(const CsrFromDenseParams& p, int32_t* row_ptr);
// Pass 2 (parallel over rows): fills col_idx / values (capacity row_ptr[rows]) using the
// row_ptr produced by csr_count on the same input.
Status csr_fill(const CsrFromDenseParams& p, const int32_t* row_ptr, int32_t* col_idx,
                float* values);
// ---- validation of user-built CSR arrays -------------------------------------------------
// The arrays as given, with their lengths (untrusted: nothing is read past a length).
struct CsrArrays {
  int64_t rows = 0, cols = 0;
  const int32_t* row_ptr = nullptr;
  int64_t row_ptr_len = 0;
  const int32_t* col_idx = nullptr;
  int64_t col_idx_len = 0;
  int64_t values_len = 0;  // length of values (float or int8)
};

// The first problem found, in this order: dims (rows, cols in [0, 2^31 - 1]), row_ptr_len
// == rows + 1, row_ptr[0] == 0, col_idx_len == nnz (= row_ptr[rows]), values_len == nnz,
// then row by row: row_ptr[i + 1] >= row_ptr[i], row_ptr[i + 1] <= nnz, each column in
// [0, cols) and greater than the previous one of its row.
enum class CsrProblem : int32_t {
  kNone = 0,
  kBadDims,            // value: rows (index 0) or cols (index 1)
  kRowPtrLength,       // value: row_ptr_len
  kRowPtrStart,        // value: row_ptr[0]
  kColIdxLength,       // value: col_idx_len, bound: nnz
  kValuesLength,       // value: values_len, bound: nnz
  kRowPtrDecreasing,   // index: i + 1, value: row_ptr[i + 1], bound: row_ptr[i]
  kRowPtrPastEnd,      // index: i + 1, value: row_ptr[i + 1], bound: nnz
  kColumnOutOfRange,   // index: j, row, value: col_idx[j], bound: cols
  kColumnNotIncreasing // index: j, row, value: col_idx[j], bound: the previous column
};

struct CsrCheck {
  CsrProblem problem = CsrProblem::kNone;
  int64_t index = 0, row = 0, value = 0, bound = 0;
};

// Full structural check of user arrays; O(rows + nnz), no allocation.
CsrCheck csr_check(const CsrArrays& a);

// csr_check of rows + 1 row offsets and nnz columns / values: kOk or kInvalidArgument
// (what the kernels rely on for memory safety, plus sorted columns).
Status csr_validate(int64_t rows, int64_t cols, const int32_t* row_ptr, const int32_t* col_idx,
                    int64_t nnz);

// ---- SpMM -----------------------------------------------------------------------------
// Y[m x n] (row stride ldy) = X[m x k] (row stride ldx) * W^T (+ bias[j]) (then max(0, .)),
// W an n x k CSR matrix validated with csr_validate. Exactly one of values / qvalues is set;
// with qvalues the stored weight is scales[row] * qvalues[i] (the scale multiplies the
// row's float dot product once). Y is write-only and must not overlap X, W or bias.
// Numerics: float32 accumulation in an unspecified order over each row's non-zeros; within
// a bound that grows with the row's nnz and max|x|*|w| of spmm_ref.
struct SpmmParams {
  int64_t m = 0, n = 0, k = 0;
  const int32_t* row_ptr = nullptr;
  const int32_t* col_idx = nullptr;
  const float* values = nullptr;
  const int8_t* qvalues = nullptr;
  const float* scales = nullptr;
  const float* x = nullptr;
  int64_t ldx = 0;
  float* y = nullptr;
  int64_t ldy = 0;
  const float* bias = nullptr;
  bool relu = false;
};

Status spmm(const SpmmParams& p);
// Size/stride/pointer checks (not the CSR structure: see csr_validate).
Status spmm_check(const SpmmParams& p);
// Name of the micro-kernel spmm uses at the active ISA level.
const char* spmm_kernel_name();

// ---- packed (validated, immutable) weights --------------------------------------------
// A private copy of a CSR matrix, validated once (csr_validate) at packing, in the layouts
// the kernels want (CSR, plus a column-panel layout for the m == 1 path where the CPU has
// AVX-512). The binding holds one per nn.SparseLinear so no call re-checks the structure.
struct PackedCsr;
struct CsrInput {
  int64_t rows = 0, cols = 0;
  const int32_t* row_ptr = nullptr;  // rows + 1
  const int32_t* col_idx = nullptr;  // row_ptr[rows]
  const float* values = nullptr;     // exactly one of values / qvalues (unless nnz == 0)
  const int8_t* qvalues = nullptr;
  const float* scales = nullptr;     // rows, with qvalues
};
// kInvalidArgument for a bad structure, kOutOfMemory when allocation fails.
Status csr_pack(const CsrInput& in, PackedCsr** out);
void csr_packed_free(PackedCsr* w);
void csr_packed_dims(const PackedCsr* w, int64_t* rows, int64_t* cols);
// Bytes held by the packed copy (for external-memory accounting).
int64_t csr_packed_bytes(const PackedCsr* w);
// Y[m x n] = X[m x k] * W^T (+ bias) (ReLU) with the packed W (n = rows, k = cols).
Status spmm_packed(const PackedCsr* w, int64_t m, const float* x, int64_t ldx, float* y,
                   int64_t ldy, const float* bias, bool relu);

}  // namespace nnslim
