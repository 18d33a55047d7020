// Exact top-k over inner products, fused: scores are computed a tile at a time into a small
// buffer that stays in cache and folded at once into a running top-k, so the [Q, N] score
// matrix is never written to memory (writing and re-reading it, with fresh pages faulted in
// per block, cost more than the GEMM). Each thread owns whole query rows and runs its GEMMs
// single-threaded (at::parallel_for regions do not nest), so no thread waits on another.
//
// The bf16 scan: queries and documents rounded to bf16, scores from a bf16 GEMM (fp32
// accumulation, bf16 output). A document whose bf16 score reaches the row's running k-th best
// minus a bound on the bf16 error is re-scored exactly in fp32, and only exact scores enter the
// top-k. The bound: rounding each input to bf16 (relative error u = 2^-9) moves each product
// q_i d_i by at most (2u + u^2)|q_i d_i|, so the sum by at most 2^-8 ||q|| ||d|| (Cauchy-Schwarz);
// rounding the output adds u |s| <= 2^-9 ||q|| ||d||; fp32 accumulation over C = 384 terms
// adds under 3e-5 ||q|| ||d||. eps = 2^-7 ||q|| max ||d|| covers all three with room (about
// 0.0059 needed, 0.0078 taken), so no document of the exact top-k is skipped: the result is
// the exact top-k (its fp32 dot products may round differently from the GEMM on near-ties);
// only the number of exact re-scorings depends on the data.
// No retrieval knowledge: matrices go in, the top-k comes out.

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <c10/util/BFloat16.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "tensor_table.h"

namespace {

// An entry of a row's top-k as one 64-bit key whose unsigned order is the ranking: the score's
// bits made order-preserving in the high half (higher score, larger key), the complement of the
// document index in the low half (equal scores: the lower index ranks higher). Selection then
// compares integers, branch-free, where a tie-aware comparison of (score, index) pairs was the
// selection's inner loop. -0 is taken as +0 (equal scores); NaN never enters (offer drops it).
inline uint64_t pack(float score, int64_t index) {
  uint32_t bits;
  const float s = score + 0.0f;  // -0 -> +0
  std::memcpy(&bits, &s, sizeof bits);
  bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
  return (static_cast<uint64_t>(bits) << 32) | (0xffffffffu - static_cast<uint32_t>(index));
}

inline float scoreOf(uint64_t key) {
  uint32_t bits = static_cast<uint32_t>(key >> 32);
  bits = (bits & 0x80000000u) ? (bits & 0x7fffffffu) : ~bits;
  float s;
  std::memcpy(&s, &bits, sizeof s);
  return s;
}

inline int64_t indexOf(uint64_t key) { return 0xffffffffu - static_cast<uint32_t>(key); }

// Each row's running top-k as a reservoir of 2k keys (as faiss keeps large k): an entry that
// reaches the row's threshold (the k-th best at the last compaction) is appended, and a full
// reservoir is cut back to its best k with nth_element. That is O(1) per accepted entry where
// a heap pays a sift of log2(k) comparisons, and a random row accepts about k ln(N/k) entries
// (1,000 per query at k = 200, N = 30k). The reservoir is left uninitialised: `filled` says
// what it holds.
struct RowHeaps {
  int64_t k;
  std::unique_ptr<uint64_t[]> keys;  // rows x 2k
  std::vector<int64_t> filled;       // per row
  std::vector<float> floor;          // per row: the k-th best score at the last compaction (-inf until k are held)
  uint64_t* row(int64_t r) { return keys.get() + r * 2 * k; }
  float threshold(int64_t r) const { return floor[r]; }

  RowHeaps(int64_t rows, int64_t k_)
      : k(k_), keys(new uint64_t[rows * 2 * k_]), filled(rows, 0), floor(rows, -INFINITY) {}

  // Scores below the threshold cannot enter the top-k; equal ones are kept and ranked at compaction.
  inline void offer(int64_t r, float s, int64_t index) {
    if (!(s >= floor[r])) return;  // also drops NaN
    row(r)[filled[r]++] = pack(s, index);
    if (filled[r] == 2 * k) compact(r);
  }

  // Keeps the row's best k (in no order) and raises its threshold to the k-th best.
  void compact(int64_t r) {
    uint64_t* e = row(r);
    std::nth_element(e, e + k - 1, e + filled[r], std::greater<uint64_t>());
    filled[r] = k;
    floor[r] = scoreOf(e[k - 1]);
  }

  // The row's best k, best first, into values/indices (-inf and -1 for the slots it cannot fill).
  void emit(int64_t r, float* values, int64_t* indices) {
    uint64_t* e = row(r);
    if (filled[r] > k) compact(r);
    const int64_t n = filled[r];
    std::sort(e, e + n, std::greater<uint64_t>());
    for (int64_t j = 0; j < k; j++) {
      values[j] = j < n ? scoreOf(e[j]) : -INFINITY;
      indices[j] = j < n ? indexOf(e[j]) : -1;
    }
  }
};

// fp32 dot product in 16 independent lanes (vectorisable without reassociation).
float dot(const float* a, const float* b, int64_t n) {
  float lane[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) lane[l] += a[i + l] * b[i + l];
  float s = 0;
  for (; i < n; i++) s += a[i] * b[i];
  for (int l = 0; l < 16; l++) s += lane[l];
  return s;
}

// What a tile is scanned with: the exact rows (fp32, [.., C]) and error bound of the bf16 scan.
struct Rescore {
  const float* queries = nullptr;  // the thread's first row
  const float* docs = nullptr;     // the tile's first document
  const float* eps = nullptr;      // per row
  int64_t C = 0;
};

// The first group of 16 fp32 scores at or after g (g a multiple of 16) holding one that
// reaches t, else the start of the last, partial group (or n). Almost no group holds one, so
// this compare is the scan's inner loop: compiled for the widest vector unit the CPU has
// (chosen once at load by CPUID; the addon itself is built for the x86-64 baseline, where
// the compiler kept the NaN-aware scalar compares and the selection cost 45% of a 30k search).
// Ordered compares: NaN never reaches t.
using NextGroup = int64_t (*)(const float* s, int64_t g, int64_t n, float t);

__attribute__((target("avx512f"))) int64_t nextGroupAvx512(const float* s, int64_t g, int64_t n, float t) {
  const __m512 th = _mm512_set1_ps(t);
  for (; g + 16 <= n; g += 16)
    if (_mm512_cmp_ps_mask(_mm512_loadu_ps(s + g), th, _CMP_GE_OQ)) return g;
  return g;
}

__attribute__((target("avx2"))) int64_t nextGroupAvx2(const float* s, int64_t g, int64_t n, float t) {
  const __m256 th = _mm256_set1_ps(t);
  for (; g + 16 <= n; g += 16) {
    const __m256 a = _mm256_cmp_ps(_mm256_loadu_ps(s + g), th, _CMP_GE_OQ);
    const __m256 b = _mm256_cmp_ps(_mm256_loadu_ps(s + g + 8), th, _CMP_GE_OQ);
    if (_mm256_movemask_ps(_mm256_or_ps(a, b))) return g;
  }
  return g;
}

int64_t nextGroupSse(const float* s, int64_t g, int64_t n, float t) {
  const __m128 th = _mm_set1_ps(t);
  for (; g + 16 <= n; g += 16) {
    const __m128 a = _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(s + g), th), _mm_cmpge_ps(_mm_loadu_ps(s + g + 4), th));
    const __m128 b = _mm_or_ps(_mm_cmpge_ps(_mm_loadu_ps(s + g + 8), th), _mm_cmpge_ps(_mm_loadu_ps(s + g + 12), th));
    if (_mm_movemask_ps(_mm_or_ps(a, b))) return g;
  }
  return g;
}

const NextGroup nextGroup = __builtin_cpu_supports("avx512f") ? nextGroupAvx512
                            : __builtin_cpu_supports("avx2")  ? nextGroupAvx2
                                                              : nextGroupSse;

// The fp32 tile: the vector compare skips to the groups holding a candidate.
void scanExact(RowHeaps& heaps, int64_t firstRow, const float* scores, int64_t rows, int64_t cols,
               int64_t firstIndex) {
  for (int64_t r = 0; r < rows; r++) {
    const float* s = scores + r * cols;
    const int64_t hr = firstRow + r;
    float threshold = heaps.threshold(hr);
    for (int64_t g = nextGroup(s, 0, cols, threshold); g < cols; g = nextGroup(s, g + 16, cols, threshold)) {
      const int64_t end = std::min(g + 16, cols);
      for (int64_t j = g; j < end; j++) {
        if (!(s[j] >= threshold)) continue;
        heaps.offer(hr, s[j], firstIndex + j);
        threshold = heaps.threshold(hr);
      }
    }
  }
}

// The bf16 scan's tile: candidates re-scored exactly before they enter the top-k.
void scanRescored(RowHeaps& heaps, int64_t firstRow, const c10::BFloat16* scores, int64_t rows, int64_t cols,
                  int64_t firstIndex, const Rescore& rs) {
  for (int64_t r = 0; r < rows; r++) {
    const c10::BFloat16* s = scores + r * cols;
    const int64_t hr = firstRow + r;
    const float eps = rs.eps[hr];
    float threshold = heaps.threshold(hr) - eps;
    for (int64_t g = 0; g < cols; g += 16) {
      const int64_t end = std::min(g + 16, cols);
      // almost every group of 16 holds nothing above the threshold: one vectorisable test for all
      if (end - g == 16) {
        int any = 0;
        for (int l = 0; l < 16; l++) any |= static_cast<float>(s[g + l]) >= threshold;
        if (!any) continue;
      }
      for (int64_t j = g; j < end; j++) {
        const float v = static_cast<float>(s[j]);
        if (v < threshold) continue;
        const float exact = dot(rs.queries + hr * rs.C, rs.docs + j * rs.C, rs.C);
        heaps.offer(hr, exact, firstIndex + j);
        threshold = heaps.threshold(hr) - eps;
      }
    }
  }
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Seconds one thread spent in the GEMMs and in selection (the timing table's two stages).
struct Spent {
  double gemm = 0, select = 0;
};

struct Layout {
  int64_t rowsPerBlock;  // query rows per GEMM
  int64_t docsPerTile;   // documents per GEMM
};

// The matrices of one fold: scanQ/scanD are scored (fp32, or bf16 with exactQ/exactD [.., C]
// fp32 for re-scoring and eps [Q] the per-row bound).
struct Operands {
  at::Tensor scanQ, scanD, exactQ, exactD, eps;
  bool bf16() const { return scanD.scalar_type() == at::kBFloat16; }
};

// Folds the documents into rows [q0, q1) of the running top-k (values/indices [Q, K]).
void foldRows(int64_t q0, int64_t q1, const Operands& op, float* V, int64_t* X, int64_t K, int64_t offset,
              Layout layout, Spent& spent) {
  at::NoGradGuard noGrad;
  const int64_t rows = q1 - q0, N = op.scanD.size(0), C = op.scanD.size(1);
  double t = now();
  RowHeaps heaps(rows, K);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < K && X[(q0 + r) * K + j] >= 0; j++) heaps.offer(r, V[(q0 + r) * K + j], X[(q0 + r) * K + j]);
  Rescore rs;
  if (op.bf16()) {
    rs.queries = op.exactQ.data_ptr<float>() + q0 * C;
    rs.eps = op.eps.data_ptr<float>() + q0;
    rs.C = C;
  }
  const int64_t mb = layout.rowsPerBlock, nt = layout.docsPerTile;
  std::vector<char> buffer(mb * nt * op.scanD.element_size());
  spent.select += now() - t;
  for (int64_t t0 = 0; t0 < N; t0 += nt) {
    const int64_t cols = std::min(nt, N - t0);
    const at::Tensor dT = op.scanD.narrow(0, t0, cols).t();  // [C, cols]
    if (op.bf16()) rs.docs = op.exactD.data_ptr<float>() + t0 * C;
    for (int64_t r0 = q0; r0 < q1; r0 += mb) {
      const int64_t m = std::min(mb, q1 - r0);
      at::Tensor out = at::from_blob(buffer.data(), {m, cols}, op.scanD.options());
      t = now();
      at::mm_out(out, op.scanQ.narrow(0, r0, m), dT);
      const double u = now();
      spent.gemm += u - t;
      if (op.bf16())
        scanRescored(heaps, r0 - q0, out.data_ptr<c10::BFloat16>(), m, cols, offset + t0, rs);
      else
        scanExact(heaps, r0 - q0, out.data_ptr<float>(), m, cols, offset + t0);
      spent.select += now() - u;
    }
  }
  t = now();
  for (int64_t r = 0; r < rows; r++) heaps.emit(r, V + (q0 + r) * K, X + (q0 + r) * K);
  spent.select += now() - t;
}

Operands operands(const at::Tensor& queries, const at::Tensor& docs, bool bf16) {
  if (!bf16) return {queries, docs, {}, {}, {}};
  const double dmax = docs.size(0) ? docs.norm(2, 1).max().item<double>() : 0.0;
  at::Tensor eps = queries.norm(2, 1).mul(std::ldexp(dmax, -7)).contiguous();
  return {queries.to(at::kBFloat16), docs.to(at::kBFloat16), queries, docs, eps};
}

// searchFold(values, indices, queries, docs, offset, rowsPerBlock, docsPerTile, bf16)
// values [Q, K] float32 (descending) and indices [Q, K] int64 are updated in place; queries
// [Q, C] and docs [N, C] float32, document j counting as index offset + j; bf16: the bf16 scan.
// Returns [gemm, select]: seconds summed over threads (the caller splits its wall time by them).
Napi::Value searchFold(const Napi::CallbackInfo& info) {
  return ftlab::guarded(info, [&]() -> Napi::Value {
    at::NoGradGuard noGrad;
    at::Tensor values = ftlab::tensorArg(info[0]), indices = ftlab::tensorArg(info[1]);
    const at::Tensor queries = ftlab::tensorArg(info[2]).contiguous(), docs = ftlab::tensorArg(info[3]).contiguous();
    const int64_t offset = info[4].As<Napi::Number>().Int64Value();
    const Layout layout{info[5].As<Napi::Number>().Int64Value(), info[6].As<Napi::Number>().Int64Value()};
    const bool bf16 = info[7].As<Napi::Boolean>().Value();
#if TORCH_VERSION_MAJOR < 2
    // the error bound assumes fp32 accumulation in the bf16 GEMM, which 1.13's CPU fallback may not do
    if (bf16) throw std::invalid_argument("the bf16 scan needs libtorch 2.x; use the exact fp32 search");
#endif
    TORCH_CHECK(values.device().is_cpu() && queries.device().is_cpu() && docs.device().is_cpu(),
                "searchFold: CPU tensors only");
    TORCH_CHECK(values.scalar_type() == at::kFloat && indices.scalar_type() == at::kLong &&
                    queries.scalar_type() == at::kFloat && docs.scalar_type() == at::kFloat,
                "searchFold: values, queries and docs float32, indices int64");
    TORCH_CHECK(values.is_contiguous() && indices.is_contiguous(), "searchFold: values and indices must be contiguous");
    TORCH_CHECK(values.dim() == 2 && values.sizes() == indices.sizes() && queries.dim() == 2 && docs.dim() == 2 &&
                    queries.size(0) == values.size(0) && queries.size(1) == docs.size(1),
                "searchFold: values, indices [Q, k], queries [Q, C], docs [N, C]");
    TORCH_CHECK(layout.rowsPerBlock > 0 && layout.docsPerTile > 0 && values.size(1) > 0,
                "searchFold: positive block sizes and k");
    TORCH_CHECK(offset >= 0 && offset + docs.size(0) <= 0xffffffffLL,
                "searchFold: document indices from 0 to 2^32 - 2 (the top-k keys hold 32 bits of index)");
    const Operands op = operands(queries, docs, bf16);
    float* V = values.data_ptr<float>();
    int64_t* X = indices.data_ptr<int64_t>();
    const int64_t Q = values.size(0), K = values.size(1);
    const int64_t threads = at::get_num_threads();
    std::vector<Spent> spent(threads);
    // whole query rows per thread, as evenly as the rows allow
    at::parallel_for(0, threads, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; t++) {
        const int64_t q0 = Q * t / threads, q1 = Q * (t + 1) / threads;
        if (q1 > q0) foldRows(q0, q1, op, V, X, K, offset, layout, spent[t]);
      }
    });
    Napi::Array result = Napi::Array::New(info.Env(), 2);
    double gemm = 0, select = 0;
    for (const Spent& s : spent) gemm += s.gemm, select += s.select;
    result.Set(0u, gemm);
    result.Set(1u, select);
    return result;
  });
}

}  // namespace

namespace ftlab {
void registerSearch(Napi::Env env, Napi::Object exports) {
  exports.Set("searchFold", Napi::Function::New(env, searchFold, "searchFold"));
}
}  // namespace ftlab
