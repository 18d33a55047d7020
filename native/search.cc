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
// the fp32 exact search's, only the number of exact re-scorings depends on the data.
// No retrieval knowledge: matrices go in, the top-k comes out.

#include <ATen/Parallel.h>
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

// A bounded heap per row; row(r)[0] is the row's current worst kept entry (the threshold).
struct RowHeaps {
  int64_t k;
  std::vector<Entry> entries;  // rows x k
  Entry* row(int64_t r) { return entries.data() + r * k; }

  RowHeaps(int64_t rows, int64_t k_) : k(k_), entries(rows * k_, Entry{-INFINITY, -1}) {}

  // Indices only grow within a row's scan, so an entry equal to a full heap's threshold ranks
  // below it (ties keep the lower index) and is rejected here.
  inline void offer(int64_t r, float s, int64_t index) {
    Entry* h = row(r);
    if (s < h[0].score || (s == h[0].score && h[0].index >= 0)) return;
    std::pop_heap(h, h + k, better);
    h[k - 1] = {s, index};
    std::push_heap(h, h + k, better);
  }

  void sortRow(int64_t r) { std::sort(row(r), row(r) + k, better); }
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
    float threshold = heaps.row(hr)[0].score - eps;
    for (int64_t j = 0; j < cols; j++) {
      const float v = static_cast<float>(s[j]);
      if (v < threshold) continue;
      const float exact = rs.eps ? dot(rs.queries + hr * rs.C, rs.docs + j * rs.C, rs.C) : v;
      heaps.offer(hr, exact, firstIndex + j);
      threshold = heaps.row(hr)[0].score - eps;
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
  for (int64_t r = 0; r < rows; r++) {
    Entry* h = heaps.row(r);
    for (int64_t j = 0; j < K; j++) h[j] = {V[(q0 + r) * K + j], X[(q0 + r) * K + j]};
    std::make_heap(h, h + K, better);
  }
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
    heaps.sortRow(r);
    for (int64_t j = 0; j < K; j++) {
      V[(q0 + r) * K + j] = heaps.row(r)[j].score;
      X[(q0 + r) * K + j] = heaps.row(r)[j].index;
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
