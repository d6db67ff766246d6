// Magnitude selection for pruning: the k-th smallest |x| of a large float array in O(n)
// (no sort), and the mask update that prunes every entry below that threshold plus a given
// number of ties, in index order.
//
// Magnitudes are compared exactly, as the integer keys bits(x) & 0x7fffffff (monotone in |x|
// for non-NaN floats; -0 and +0 are equal, denormals are ordered exactly, no DAZ effect).
// kth_smallest_magnitude rejects a NaN anywhere in x (candidate or not; a key above 0x7f800000)
// with kInvalidArgument, so one call both validates a weight and selects in it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nnslim/kernels.h"

namespace nnslim {

// The k-th smallest (0-based) magnitude among the candidates of x[0, n): every index when
// mask is null, else the indices with mask[i] != 0. Writes the magnitude to *value and the
// number of candidates whose magnitude is strictly smaller to *less (so the candidates equal
// to *value that rank at or below k number k + 1 - *less).
// kInvalidArgument: a null pointer with n > 0, k >= the candidate count, or a NaN in x.
// Algorithm: one parallel 4096-bin histogram of the top 12 key bits (sign cleared: exponent
// and 4 mantissa bits), then the candidates of the bin holding rank k are gathered and
// std::nth_element (introselect, O(m)) finishes on them.
Status kth_smallest_magnitude(const float* x, const uint8_t* mask, size_t n, size_t k, float* value,
                              size_t* less);

// For i in [0, n) with mask[i] != 0, in increasing i: clears mask[i] when |x[i]| < threshold,
// or when |x[i]| == threshold and fewer than `ties` equal entries were cleared so far.
// Writes the number of ties left unused to *ties_left (so a caller can chain several arrays
// as one concatenated vector). threshold must not be NaN; NaN entries of x are never cleared.
// Every other non-zero mask entry becomes 1 (the output mask is 0/1).
// Parallel: per-chunk tie counts, then a prefix, then the clearing pass.
Status magnitude_prune_mask(const float* x, uint8_t* mask, size_t n, float threshold, size_t ties,
                            size_t* ties_left);

}  // namespace nnslim
