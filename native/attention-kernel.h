// The attention forward over packed sequences, by hand (attention-kernel.cc): no libtorch calls
// inside, only raw rows. packed-attention.cc runs it for inference and for training's forward.
#pragma once
#include <cstdint>
#include <vector>

namespace ftlab::attention {

/** Rows of one [N, C]-shaped operand: element (row i, column c) is at base[i * stride + c]. */
struct Rows {
  const void* base;
  int64_t stride;
};

struct Problem {
  Rows q, k, v;
  void* out;  // [N, C], rows `outStride` apart
  int64_t outStride;
  bool bf16;  // q, k, v and out are bf16 (else fp32); the arithmetic is fp32 either way
  int64_t heads, headSize;
  float scale;
  std::vector<int64_t> lengths, offsets;  // per sequence: tokens and first row
  // Training (fp32 only): the softmax is written to probs, [H, L, L] per sequence from
  // probOffsets[s]; keep (same layout, 0 or 1 / (1 - p)) is dropout on the probabilities.
  float* probs = nullptr;
  const float* keep = nullptr;
  std::vector<int64_t> probOffsets;
};

/** The instruction set the kernel runs with for this head size: "avx512", "avx2" or "" (none: use libtorch). */
const char* isaFor(int64_t headSize);

/** out = per sequence and head softmax(Q K^T * scale) (x keep) V; parallel over (sequence, head). */
void run(const Problem& p);

}  // namespace ftlab::attention
