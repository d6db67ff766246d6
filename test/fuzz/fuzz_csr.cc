// libFuzzer harness: validation of user-built CSR arrays (nnslim::csr_check, what both the
// CsrMatrix constructors and csrPack rely on) and what is built from arrays it accepts.
// Input: rows, cols, then row_ptr / col_idx lengths (usually the consistent ones) and their
// int32 values, a values length. Properties: csr_check agrees with an independent oracle;
// csr_validate agrees with csr_check; accepted arrays pack (float and int8), the packed SpMM
// matches a dense product of the same matrix, and the dense matrix converts back to the same
// CSR arrays through csr_count / csr_fill.
#include <cmath>
#include <vector>

#include "fuzz_input.h"
#include "nnslim/reference.h"
#include "nnslim/sparse.h"
#include "nnslim/threadpool.h"

namespace {

// The definition, written independently of csr_check.
bool oracle(int64_t rows, int64_t cols, const std::vector<int32_t>& rp, const std::vector<int32_t>& ci, int64_t values_len) {
  if (rows < 0 || cols < 0 || rp.size() != static_cast<size_t>(rows) + 1 || rp[0] != 0) return false;
  const int64_t nnz = rp.back();
  if (nnz < 0 || ci.size() != static_cast<size_t>(nnz) || values_len != nnz) return false;
  for (int64_t i = 0; i < rows; ++i) {
    if (rp[i + 1] < rp[i] || rp[i + 1] > nnz) return false;
    for (int64_t j = rp[i]; j < rp[i + 1]; ++j) {
      if (ci[j] < 0 || ci[j] >= cols) return false;
      if (j > rp[i] && ci[j] <= ci[j - 1]) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nnslim::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnslim_fuzz::Input in(data, size);
  const int64_t rows = in.u8() % 12;
  const int64_t cols = in.u8() % 12;
  const uint8_t mode = in.u8();
  // Mostly plausible lengths, sometimes arbitrary ones.
  size_t rp_len = static_cast<size_t>(rows) + 1;
  if (mode & 1) rp_len = in.u8() % 16;
  std::vector<int32_t> rp(rp_len);
  for (auto& v : rp) v = (mode & 2) ? static_cast<int32_t>(in.u32()) : static_cast<int32_t>(in.u8() % 24) - 2;
  if ((mode & 4) && !rp.empty()) {  // a running sum: valid offsets unless a step is negative
    uint32_t acc = 0;  // wrapping on purpose: huge steps give invalid (negative) offsets
    for (auto& v : rp) {
      acc += static_cast<uint32_t>(v < 0 ? v : v % 5);
      v = static_cast<int32_t>(acc);
    }
    rp[0] = 0;
  }
  const int64_t nnz_claim = rp.empty() ? 0 : rp.back();
  size_t ci_len = (mode & 8) || nnz_claim < 0 || nnz_claim > 200 ? in.u8() % 32 : static_cast<size_t>(nnz_claim);
  std::vector<int32_t> ci(ci_len);
  for (auto& v : ci) v = (mode & 16) ? static_cast<int32_t>(in.u32()) : static_cast<int32_t>(in.u8() % 14) - 1;
  const int64_t values_len = (mode & 32) ? in.u8() % 32 : static_cast<int64_t>(ci_len);

  // Exact-size heap copies: ASan catches any read past a length.
  std::vector<int32_t> rp_heap(rp), ci_heap(ci);
  nnslim::CsrArrays a;
  a.rows = rows;
  a.cols = cols;
  a.row_ptr = rp_heap.empty() ? nullptr : rp_heap.data();
  a.row_ptr_len = static_cast<int64_t>(rp_heap.size());
  a.col_idx = ci_heap.empty() ? nullptr : ci_heap.data();
  a.col_idx_len = static_cast<int64_t>(ci_heap.size());
  a.values_len = values_len;
  const nnslim::CsrCheck c = nnslim::csr_check(a);
  const bool ok = c.problem == nnslim::CsrProblem::kNone;
  FUZZ_CHECK(ok == oracle(rows, cols, rp, ci, values_len));
  if (!ok) return 0;
  const int64_t nnz = rp.back();
  FUZZ_CHECK(nnslim::csr_validate(rows, cols, a.row_ptr, a.col_idx, nnz) == nnslim::Status::kOk);

  // The dense matrix it describes, with values from the input (never 0, so it round-trips).
  std::vector<float> values(static_cast<size_t>(nnz));
  std::vector<int8_t> qvalues(static_cast<size_t>(nnz));
  std::vector<float> dense(static_cast<size_t>(rows * cols), 0.0f);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = rp[i]; j < rp[i + 1]; ++j) {
      int8_t q = static_cast<int8_t>(in.u8());
      if (q == 0) q = 1;
      qvalues[j] = q;
      values[j] = static_cast<float>(q) * 0.25f;
      dense[i * cols + ci[j]] = values[j];
    }
  std::vector<float> scales(static_cast<size_t>(rows), 0.25f);

  // Dense -> CSR reproduces the arrays.
  nnslim::CsrFromDenseParams fp;
  fp.rows = rows;
  fp.cols = cols;
  fp.dense = dense.empty() ? nullptr : dense.data();
  fp.ld = cols > 0 ? cols : 1;
  std::vector<int32_t> rp2(static_cast<size_t>(rows) + 1);
  FUZZ_CHECK(nnslim::csr_count(fp, rp2.data()) == nnslim::Status::kOk && rp2 == rp);
  std::vector<int32_t> ci2(static_cast<size_t>(nnz));
  std::vector<float> v2(static_cast<size_t>(nnz));
  FUZZ_CHECK(nnslim::csr_fill(fp, rp2.data(), ci2.data(), v2.data()) == nnslim::Status::kOk && ci2 == ci && v2 == values);

  // Packed SpMM (float and int8 values) against the dense product, m = 1..3.
  const int64_t m = 1 + in.u8() % 3;
  std::vector<float> x(static_cast<size_t>(m * (cols > 0 ? cols : 1)));
  for (auto& v : x) v = static_cast<float>(static_cast<int8_t>(in.u8())) * 0.125f;
  for (int quant = 0; quant < 2; ++quant) {
    nnslim::CsrInput ci_in;
    ci_in.rows = rows;
    ci_in.cols = cols;
    ci_in.row_ptr = rp_heap.data();
    ci_in.col_idx = ci_heap.empty() ? nullptr : ci_heap.data();
    if (quant) {
      ci_in.qvalues = qvalues.data();
      ci_in.scales = scales.data();
    } else {
      ci_in.values = values.data();
    }
    nnslim::PackedCsr* w = nullptr;
    FUZZ_CHECK(nnslim::csr_pack(ci_in, &w) == nnslim::Status::kOk && w != nullptr);
    std::vector<float> y(static_cast<size_t>(m * (rows > 0 ? rows : 1)), -1.0f);
    FUZZ_CHECK(nnslim::spmm_packed(w, m, x.data(), cols > 0 ? cols : 1, y.data(), rows > 0 ? rows : 1, nullptr, false) == nnslim::Status::kOk);
    nnslim::csr_packed_free(w);
    // Exact: every product and partial sum is a multiple of 2^-5 below 2^13.
    for (int64_t r = 0; r < m; ++r)
      for (int64_t i = 0; i < rows; ++i) {
        double want = 0;
        for (int64_t j = 0; j < cols; ++j) want += static_cast<double>(x[r * cols + j]) * dense[i * cols + j];
        FUZZ_CHECK(y[r * rows + i] == static_cast<float>(want));
      }
  }
  return 0;
}
