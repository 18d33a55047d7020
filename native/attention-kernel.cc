// The attention forward over packed sequences, written by hand: per sequence and head,
// softmax(Q K^T * scale) V, a few query rows at a time with their scores kept in L1, fp32
// arithmetic (bf16 operands are widened on load and rounded to nearest even on store).
// Why by hand: libtorch runs these small products (L ~ 70 tokens, D = 32) as per-sequence bmm,
// softmax and bmm at ~30 GFLOP/s with [H, L, L] probabilities in memory, and its flash-attention
// CPU kernel measured no faster at these sizes; onnxruntime fuses the same way (MLAS).
// Compiled twice, for AVX-512F and for AVX2 + FMA (GCC target pragmas over the same body,
// attention-kernel.inc), and chosen at run time from the CPU's flags; elsewhere libtorch runs it.
#include "attention-kernel.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace ftlab::attention {
namespace {

// Cephes' expf constants, for vexp (attention-kernel.inc): the range kept, ln2 split in two, the polynomial.
constexpr float kExpHi = 88.3762626647949f, kExpLo = -87.3365447504f, kLog2e = 1.44269504088896341f;
constexpr float kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
constexpr float kP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                         4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
constexpr int W = 16, R_PV = 8;
using V = __m512;
inline V vzero() { return _mm512_setzero_ps(); }
inline V vset1(float x) { return _mm512_set1_ps(x); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, V x) { _mm512_storeu_ps(p, x); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
inline float hmax(V x) { return _mm512_reduce_max_ps(x); }
inline float hsum(V x) { return _mm512_reduce_add_ps(x); }
inline V vclamp(V x, float lo, float hi) { return _mm512_min_ps(_mm512_max_ps(x, vset1(lo)), vset1(hi)); }
inline V vround(V x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline V vpow2(V n) {  // 2^n for integral n in the normal range, through the exponent bits
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
}
inline V vzeroBelow(V y, V x, float lo) {  // y where x >= lo, else 0
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, vset1(lo), _CMP_GE_OQ), y);
}
inline V loadBf16(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
inline void storeBf16(uint16_t* p, V x) {  // round to nearest even, as c10::BFloat16
  const __m512i b = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(r));
}
#include "attention-kernel.inc"
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
constexpr int W = 8, R_PV = 2;
using V = __m256;
inline V vzero() { return _mm256_setzero_ps(); }
inline V vset1(float x) { return _mm256_set1_ps(x); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, V x) { _mm256_storeu_ps(p, x); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
inline float hmax(V x) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}
inline float hsum(V x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}
inline V vclamp(V x, float lo, float hi) { return _mm256_min_ps(_mm256_max_ps(x, vset1(lo)), vset1(hi)); }
inline V vround(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline V vpow2(V n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
inline V vzeroBelow(V y, V x, float lo) { return _mm256_and_ps(_mm256_cmp_ps(x, vset1(lo), _CMP_GE_OQ), y); }
inline V loadBf16(const uint16_t* p) {
  const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
inline void storeBf16(uint16_t* p, V x) {
  const __m256i b = _mm256_castps_si256(x);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
  const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);  // 8 x u16 in the low half
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
}
#include "attention-kernel.inc"
}  // namespace avx2
#pragma GCC pop_options

bool fits(int64_t headSize, int64_t w) { return headSize % w == 0 && (headSize / w == 1 || headSize / w == 2 || headSize / w == 4); }

}  // namespace

const char* isaFor(int64_t headSize) {
  if (__builtin_cpu_supports("avx512f") && fits(headSize, avx512::W)) return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && fits(headSize, avx2::W)) return "avx2";
  return "";
}

void run(const Problem& p) {
  const char* isa = isaFor(p.headSize);
  if (std::strcmp(isa, "avx512") == 0) return avx512::run(p);
  if (std::strcmp(isa, "avx2") == 0) return avx2::run(p);
  throw std::logic_error("attention kernel: no instruction set for this head size");
}

}  // namespace ftlab::attention
