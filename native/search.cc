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

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "tensor_table.h"

namespace {

struct Entry {
  float score;
  int64_t index;  // -1: an empty slot
};

// a ranks above b: higher score, or equal score and lower index; an empty slot ranks last.
inline bool better(const Entry& a, const Entry& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.index < 0 || b.index < 0) return a.index >= 0 && b.index < 0;
  return a.index < b.index;
}

// Each row's running top-k as a reservoir of 2k slots (as faiss keeps large k): an entry that
// reaches the row's threshold (the k-th best at the last compaction) is appended, and a full
// reservoir is cut back to its best k with nth_element. That is O(1) per accepted entry where
// a heap pays a sift of log2(k) tie-aware comparisons, and a random row accepts about
// k ln(N/k) entries (1,000 per query at k = 200, N = 30k: the heap's cost was 30% of the search).
struct RowHeaps {
  int64_t k;
  std::vector<Entry> entries;   // rows x 2k
  std::vector<int64_t> filled;  // per row
  std::vector<float> floor;     // per row: the k-th best score at the last compaction (-inf until k are held)
  Entry* row(int64_t r) { return entries.data() + r * 2 * k; }
  float threshold(int64_t r) const { return floor[r]; }

  RowHeaps(int64_t rows, int64_t k_)
      : k(k_), entries(rows * 2 * k_, Entry{-INFINITY, -1}), filled(rows, 0), floor(rows, -INFINITY) {}

  // Scores below the threshold cannot enter the top-k; equal ones are kept and ranked at compaction.
  inline void offer(int64_t r, float s, int64_t index) {
    if (!(s >= floor[r])) return;  // also drops NaN, which would break nth_element's strict weak ordering
    row(r)[filled[r]++] = {s, index};
    if (filled[r] == 2 * k) compact(r);
  }

  // Keeps the row's best k (in no order) and raises its threshold to the k-th best.
  void compact(int64_t r) {
    Entry* e = row(r);
    std::nth_element(e, e + k - 1, e + filled[r], better);
    filled[r] = k;
    if (e[k - 1].index >= 0) floor[r] = e[k - 1].score;
  }

  // The row's best k, best first, into e[0..k) (empty slots last).
  Entry* sorted(int64_t r) {
    Entry* e = row(r);
    if (filled[r] > k) compact(r);
    for (int64_t j = filled[r]; j < k; j++) e[j] = {-INFINITY, -1};
    std::sort(e, e + k, better);
    return e;
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

template <typename T>
void scanTile(RowHeaps& heaps, int64_t firstRow, const T* scores, int64_t rows, int64_t cols, int64_t firstIndex,
              const Rescore& rs) {
  for (int64_t r = 0; r < rows; r++) {
    const T* s = scores + r * cols;
    const int64_t hr = firstRow + r;
    const float eps = rs.eps ? rs.eps[hr] : 0.0f;
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
        const float exact = rs.eps ? dot(rs.queries + hr * rs.C, rs.docs + j * rs.C, rs.C) : v;
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
        scanTile(heaps, r0 - q0, out.data_ptr<c10::BFloat16>(), m, cols, offset + t0, rs);
      else
        scanTile(heaps, r0 - q0, out.data_ptr<float>(), m, cols, offset + t0, rs);
      spent.select += now() - u;
    }
  }
  t = now();
  for (int64_t r = 0; r < rows; r++) {
    const Entry* e = heaps.sorted(r);
    for (int64_t j = 0; j < K; j++) {
      V[(q0 + r) * K + j] = e[j].score;
      X[(q0 + r) * K + j] = e[j].index;
    }
  }
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
