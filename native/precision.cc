// Matmul paths and reduced precision for inference: fp32 matmul precision, oneDNN prepacked
// linear layers (fp32 or bf16 weights), and int8 dynamic quantisation of linear layers through
// libtorch's quantized kernels (fbgemm / oneDNN / x86): on oneDNN the activations can be quantized
// here for onednn::qlinear_pointwise (selfQuantizedLinear). No model knowledge: a weight goes in,
// a packed weight comes out, and a linear op runs on it.
//
// The oneDNN and quantized ops are reached through the dispatcher by name (mkldnn::*, onednn::*,
// quantized::*), so the addon builds against any libtorch; where one is missing (Debian's
// 1.13, a build without oneDNN or fbgemm) `hasOp` says so and the caller keeps the plain path.
//
// A quantized linear's packed weight is a TorchScript custom-class object (or, self-quantized, a
// tuple of tensors), not a tensor: it lives in its own table here, keyed by handles never reused.

#include "precision.h"
#include "tensor_table.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/Context.h>
#include <torch/version.h>

#include <ATen/Parallel.h>
#include <ATen/native/quantized/cpu/QuantUtils.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace ftlab {
namespace {

TensorTable g_table;
std::unordered_map<int64_t, c10::IValue> g_packed;
int64_t g_nextPacked = 1;

// libtorch warns on every quantize_per_channel that quantized tensors are deprecated; the
// quantized linear kernels are what this file uses them for, so that warning is dropped here.
// (libtorch 2.x's handler API; 1.13, which has no quantized path here anyway, keeps its warnings)
#if TORCH_VERSION_MAJOR >= 2
struct SilentWarnings : c10::WarningHandler {
  void process(const c10::Warning&) override {}
};
#endif


const torch::Tensor& arg(const Napi::CallbackInfo& info, size_t i) { return g_table.get(info[i]); }
std::string str(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

c10::optional<c10::OperatorHandle> findOp(const std::string& qualified) {
  auto dot = qualified.find('.');
  std::string name = dot == std::string::npos ? qualified : qualified.substr(0, dot);
  std::string overload = dot == std::string::npos ? "" : qualified.substr(dot + 1);
  return c10::Dispatcher::singleton().findSchema({name, overload});
}

// Calls a registered op by name with boxed arguments; its first output.
c10::IValue callOp(const std::string& qualified, std::vector<c10::IValue> args) {
  auto op = findOp(qualified);
  TORCH_CHECK(op.has_value(), qualified, " is not available in this libtorch (", TORCH_VERSION, ")");
  op->callBoxed(&args);
  TORCH_CHECK(!args.empty(), qualified, " returned nothing");
  return args[0];
}

Napi::Value hasOp(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), findOp(str(info, 0)).has_value()); });
}

// "highest" (plain fp32 GEMM: MKL / OpenBLAS), "high" or "medium" (libtorch may route fp32
// matmuls to oneDNN, which on some CPUs computes in reduced precision: measure before use).
Napi::Value setMatmulPrecision(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::globalContext().setFloat32MatmulPrecision(str(info, 0));
    return info.Env().Undefined();
  });
}

Napi::Value matmulPrecision(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    switch (at::globalContext().float32MatmulPrecision()) {
      case at::Float32MatmulPrecision::HIGHEST: return Napi::String::New(info.Env(), "highest");
      case at::Float32MatmulPrecision::HIGH: return Napi::String::New(info.Env(), "high");
      default: return Napi::String::New(info.Env(), "medium");
    }
  });
}

// The tensor's version counter (bumped by every in-place op): a packed copy of a weight is
// stale once the weight's version moves.
Napi::Value tensorVersion(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(arg(info, 0)._version()));
  });
}

// oneDNN's blocked layout of a linear weight [out, in] (fp32 or bf16), for batches near `batchHint` rows.
Napi::Value packLinearWeight(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::NoGradGuard noGrad;
    auto w = arg(info, 0).detach().contiguous();
    c10::IValue hint = info[1].IsNull() ? c10::IValue() : c10::IValue(info[1].As<Napi::Number>().Int64Value());
    return g_table.wrap(info.Env(), callOp("mkldnn::_reorder_linear_weight", {w, hint}).toTensor());
  });
}

// y = x W^T + b (+ gelu when `activation` is "gelu") on a packed weight; x [.., in], same dtype as the weight.
Napi::Value packedLinear(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::NoGradGuard noGrad;
    auto x = arg(info, 0).contiguous();
    c10::IValue bias = info[2].IsNull() ? c10::IValue() : c10::IValue(arg(info, 2));
    std::string activation = str(info, 3);
    c10::List<c10::optional<c10::Scalar>> scalars;
    c10::IValue algorithm = activation == "gelu" ? c10::IValue(std::string("none")) : c10::IValue();
    auto y = callOp("mkldnn::_linear_pointwise", {x, arg(info, 1), bias, activation, scalars, algorithm});
    return g_table.wrap(info.Env(), y.toTensor());
  });
}

// The quantized engines this libtorch has (fbgemm, onednn, x86, qnnpack), and the current one.
Napi::Value quantEngines(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto engines = at::globalContext().supportedQEngines();
    auto a = Napi::Array::New(info.Env());
    uint32_t k = 0;
    for (auto e : engines) {
      if (e == at::QEngine::NoQEngine) continue;
      std::string name = c10::toString(e);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
      a.Set(k++, Napi::String::New(info.Env(), name));
    }
    return a;
  });
}

at::QEngine qengineOf(const std::string& s) {
  for (auto e : at::globalContext().supportedQEngines()) {
    std::string name = c10::toString(e);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
    if (name == s) return e;
  }
  throw std::invalid_argument("quantized engine '" + s + "' is not available in this libtorch");
}

// Quantizes a linear weight [out, in] to int8, symmetric per output channel (scale = max|w_row| / 127),
// and prepacks it with the bias for `engine`. Returns a packed-weight handle (not a tensor).
// `selfQuantized` (oneDNN engine, where libtorch has onednn::qlinear_pointwise): the weight is packed
// for that op instead and kept in a tuple with its scales, zero points, the bias and `inverseScale`
// [in] when given (SmoothQuant's division of x, folded into the quantize pass of selfQuantizedLinear).
Napi::Value quantizeLinear(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::NoGradGuard noGrad;
    at::globalContext().setQEngine(qengineOf(str(info, 2)));
#if TORCH_VERSION_MAJOR >= 2
    SilentWarnings silent;
    c10::WarningUtils::WarningHandlerGuard quiet(&silent);
#endif
    auto w = arg(info, 0).detach().to(torch::kFloat).contiguous();
    auto scales = w.abs().amax({1}).div(127.0).clamp_min(1e-8);
    c10::IValue bias = info[1].IsNull() ? c10::IValue() : c10::IValue(arg(info, 1).detach().to(torch::kFloat).contiguous());
    const bool self = info.Length() > 3 && info[3].ToBoolean().Value();
    auto zeros = torch::zeros({w.size(0)}, torch::kLong);
    int64_t id = g_nextPacked++;
    if (self) {
      // rounded half to even as quantize_per_channel (which multiplies by 1 / scale: ties may differ)
      auto wq = w.div(scales.unsqueeze(1)).round().clamp(-128, 127).to(torch::kChar);
      auto packed = callOp("onednn::qlinear_prepack", {wq, c10::IValue()}).toTensor();
      c10::IValue inverse = info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined()
                                ? c10::IValue(arg(info, 4).detach().to(torch::kFloat).contiguous())
                                : c10::IValue();
      g_packed.emplace(id, c10::ivalue::Tuple::create({packed, scales, zeros, bias, inverse}));
    } else {
      auto qw = at::quantize_per_channel(w, scales.to(torch::kDouble), zeros, 0, torch::kQInt8);
      g_packed.emplace(id, callOp("quantized::linear_prepack", {qw, bias}));
    }
    return Napi::Number::New(info.Env(), static_cast<double>(id));
  });
}

// The two hand loops below (a task's column extremes, and quantizing rows to uint8) in AVX-512
// intrinsics, chosen at run time from the CPU's flags; elsewhere the portable loops after them.
// Why: the addon is built for plain x86-64, and GCC's AVX-512 clone of the portable loops kept to
// 256-bit vectors with a slow int32 -> uint8 narrowing (the quantize loop was 7% of an int8 encode,
// perf, 2026-12-06, AMD EPYC); AVX-512F narrows with saturation in one instruction (vpmovusdb).
#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
// Four rows at a time, in order, their extremes folded into lo, hi (L1-resident) per 16 columns:
// a loop over column blocks, each down all the rows, stalled on memory (21% of the FFN output
// layer, 2026-12-06). Full blocks unmasked: AMD's masked stores are slow. A NaN in the rows
// sets the task's `nan`.
void minMaxRows(const float* px, int64_t r0, int64_t r1, int64_t cols, float* lo, float* hi, bool& nan) {
  std::fill(lo, lo + cols, std::numeric_limits<float>::infinity());
  std::fill(hi, hi + cols, -std::numeric_limits<float>::infinity());
  __mmask16 bad = 0;
  const int64_t full = cols / 16 * 16;
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) {
    const float* x0 = px + r * cols;
    for (int64_t c = 0; c < full; c += 16) {
      const __m512 a = _mm512_loadu_ps(x0 + c), b = _mm512_loadu_ps(x0 + cols + c);
      const __m512 d = _mm512_loadu_ps(x0 + 2 * cols + c), e = _mm512_loadu_ps(x0 + 3 * cols + c);
      bad |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(d, e, _CMP_UNORD_Q);
      const __m512 l = _mm512_min_ps(_mm512_min_ps(a, b), _mm512_min_ps(d, e));
      const __m512 h = _mm512_max_ps(_mm512_max_ps(a, b), _mm512_max_ps(d, e));
      _mm512_storeu_ps(lo + c, _mm512_min_ps(_mm512_loadu_ps(lo + c), l));
      _mm512_storeu_ps(hi + c, _mm512_max_ps(_mm512_loadu_ps(hi + c), h));
    }
  }
  for (; r < r1; r++)
    for (int64_t c = 0; c < full; c += 16) {
      const __m512 v = _mm512_loadu_ps(px + r * cols + c);
      bad |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      _mm512_storeu_ps(lo + c, _mm512_min_ps(_mm512_loadu_ps(lo + c), v));
      _mm512_storeu_ps(hi + c, _mm512_max_ps(_mm512_loadu_ps(hi + c), v));
    }
  for (r = r0; r < r1 && full < cols; r++)
    for (int64_t c = full; c < cols; c++) {
      const float v = px[r * cols + c];
      if (v != v) bad = 1;
      lo[c] = std::min(lo[c], v);
      hi[c] = std::max(hi[c], v);
    }
  if (bad) nan = true;
}

// Full blocks unmasked, narrowed in a register (a narrowing store to memory is slow on AMD).
void quantizeRows(const float* px, int64_t r0, int64_t r1, int64_t cols, const float* mul, float zp, uint8_t* q) {
  const __m512 z = _mm512_set1_ps(zp), top = _mm512_set1_ps(255.0f), zero = _mm512_setzero_ps();
  const auto level = [&](__m512 x, __m512 m) {
    const __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(x, m), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 v = _mm512_add_ps(r, z);
    return _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, zero), top));
  };
  const int64_t full = cols / 16 * 16;
  for (int64_t r = r0; r < r1; r++) {
    const float* x = px + r * cols;
    uint8_t* out = q + r * cols;
    for (int64_t c = 0; c < full; c += 16)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c),
                       _mm512_cvtusepi32_epi8(level(_mm512_loadu_ps(x + c), _mm512_loadu_ps(mul + c))));
    if (full < cols) {
      const __mmask16 m = static_cast<__mmask16>((1u << (cols - full)) - 1);
      const __m512i tail = level(_mm512_maskz_loadu_ps(m, x + full), _mm512_maskz_loadu_ps(m, mul + full));
      _mm512_mask_cvtusepi32_storeu_epi8(out + full, m, tail);
    }
  }
}
}  // namespace avx512
#pragma GCC pop_options

const bool kAvx512 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512f"));

// Rows r0..r1 of x [rows, cols] into one task's extremes lo, hi [cols], streamed in order (also
// compiled for AVX2, picked at load by GCC's target_clones); a NaN sets `nan`.
__attribute__((target_clones("avx2", "default"))) void minMaxRowsPortable(const float* px, int64_t r0, int64_t r1,
                                                                          int64_t cols, float* lo, float* hi,
                                                                          bool& nan) {
  std::fill(lo, lo + cols, std::numeric_limits<float>::infinity());
  std::fill(hi, hi + cols, -std::numeric_limits<float>::infinity());
  int bad = 0;
  for (int64_t r = r0; r < r1; r++) {
    const float* row = px + r * cols;
    for (int64_t c = 0; c < cols; c++) {  // selects, so that -O3 vectorises it
      const float v = row[c];
      bad |= v != v;
      lo[c] = lo[c] < v ? lo[c] : v;
      hi[c] = hi[c] > v ? hi[c] : v;
    }
  }
  if (bad) nan = true;
}

void minMaxRows(const float* px, int64_t r0, int64_t r1, int64_t cols, float* lo, float* hi, bool& nan) {
  if (kAvx512) return avx512::minMaxRows(px, r0, r1, cols, lo, hi, nan);
  minMaxRowsPortable(px, r0, r1, cols, lo, hi, nan);
}

// Per column of x [rows, cols] fp32 contiguous: its min (row 0) and max (row 1); NaN in every
// column when x has a NaN (its output is NaN either way). By hand because libtorch's reductions
// over dim 0 cost more (2026-12-06, AMD EPYC, libtorch 2.13, one thread, [2133, 1536]): aminmax
// and max-with-indices ~9 ms, more than the GEMM they serve; amax and amin in this place made the
// FFN output layer 5.25 ms instead of 4.36 (bench/encode-parts). One pass over the rows in order.
torch::Tensor columnMinMax(const torch::Tensor& x) {
  const int64_t rows = x.size(0), cols = x.size(1);
  constexpr int64_t kRows = 256;  // rows per task; each task keeps its own extremes (rows 2t, 2t + 1 of `part`)
  const int64_t tasks = std::max<int64_t>(1, (rows + kRows - 1) / kRows);
  auto part = torch::empty({tasks, 2, cols}, x.options());
  const float* px = x.data_ptr<float>();
  float* pp = part.data_ptr<float>();
  std::vector<char> nan(tasks, 0);  // a flag per task: no write shared between threads
  at::parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      bool bad = false;
      minMaxRows(px, t * kRows, std::min(rows, (t + 1) * kRows), cols, pp + 2 * t * cols, pp + (2 * t + 1) * cols, bad);
      nan[t] = bad;
    }
  });
  auto minMax = tasks == 1 ? part[0]
                           : torch::stack({std::get<0>(part.select(1, 0).min(0)), std::get<0>(part.select(1, 1).max(0))});
  if (std::find(nan.begin(), nan.end(), 1) != nan.end()) minMax.fill_(std::numeric_limits<float>::quiet_NaN());
  return minMax;
}

// The `outliers` columns of largest |x| from columnMinMax's [2, cols]: [k] indices.
torch::Tensor outlierColumns(const torch::Tensor& minMax, int64_t outliers) {
  auto absMax = at::maximum(minMax[0].neg(), minMax[1]);  // NaN propagates
  return std::get<1>(absMax.topk(std::min<int64_t>(outliers, minMax.size(1))));
}

// LLM.int8()'s decomposition (Dettmers et al. 2022), the outlier channels chosen per call: the
// `outliers` input channels of largest |x| leave the int8 product, so the per-tensor activation
// scale fits the rest, and are multiplied in fp32 with their columns of w [out, in] fp32. x [rows, in].
// Those columns are zeroed in x in place for the int8 product and put back before return (also on
// an error), so x reads the same after the call without a copy of it; a tensor autograd may need
// (requires grad) is copied instead, since the in-place ops would move its version counter.
torch::Tensor outlierSplitLinear(torch::Tensor x, const c10::IValue& packed, bool reduceRange, const torch::Tensor& w,
                                 int64_t outliers) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat && w.size(1) == x.size(1),
              "outlier split: x [rows, in] fp32 with w [out, in]");
  if (x.requires_grad()) x = x.detach().clone();
  auto minMax = columnMinMax(x);
  if (std::isnan(minMax[0][0].item<float>()))  // x has a NaN (columnMinMax says so in every column): NaN out
    return torch::full({x.size(0), w.size(0)}, std::numeric_limits<float>::quiet_NaN(), x.options());
  auto idx = outlierColumns(minMax, outliers);  // [k]
  auto xo = x.index_select(1, idx);                      // [rows, k]
  x.index_fill_(1, idx, 0);
  torch::Tensor y;
  try {
    y = callOp("quantized::linear_dynamic", {x, packed, reduceRange}).toTensor();
  } catch (...) {
    x.index_copy_(1, idx, xo);
    throw;
  }
  x.index_copy_(1, idx, xo);
  return y.addmm_(xo, w.index_select(1, idx).t());  // + x[:, k] W[:, k]^T in fp32
}

// Rows r0..r1 of x [rows, cols] to uint8: q = clamp(round(x * mul[c]) + zp, 0, 255), rounding half
// to even as libtorch's quantize. By hand: libtorch quantizes per tensor or per channel, and its
// per-channel kernel (the SmoothQuant division folded in) ran 7.9 ms on [2133, 384] against
// 0.12 ms for a multiply and a per-tensor quantize (2026-12-06, AMD EPYC, one thread).
__attribute__((target_clones("avx2", "default"))) void quantizeRowsPortable(const float* px, int64_t r0, int64_t r1,
                                                                            int64_t cols, const float* mul, float zp,
                                                                            uint8_t* q) {
  for (int64_t r = r0; r < r1; r++) {
    const float* row = px + r * cols;
    uint8_t* out = q + r * cols;
    for (int64_t c = 0; c < cols; c++) {
      const float v = std::nearbyint(row[c] * mul[c]) + zp;
      out[c] = static_cast<uint8_t>(static_cast<int32_t>(std::min(std::max(v, 0.0f), 255.0f)));
    }
  }
}

void quantizeRows(const float* px, int64_t r0, int64_t r1, int64_t cols, const float* mul, float zp, uint8_t* q) {
  if (kAvx512) return avx512::quantizeRows(px, r0, r1, cols, mul, zp, q);
  quantizeRowsPortable(px, r0, r1, cols, mul, zp, q);
}

// The activations quantized here for oneDNN's qlinear_pointwise (libtorch's op for a uint8 input,
// fp32 out; the GEMM is libtorch's): one pass for every column's range, then one that writes the
// uint8 copy, with SmoothQuant's division folded in and LLM.int8()'s outlier columns (as
// outlierSplitLinear: the `outliers` of largest |x|, multiplied in fp32 with their columns of w)
// set to the zero point there, so x is only read. libtorch's dynamic linear ran a serial min/max
// over x (fbgemm::FindMinMax, one thread), and the outliers cost a zero-and-restore of x.
// The range and parameters are libtorch's dynamic path's: [min(x, 0), max(x, 0)], 8 bits.
// `packed`: quantizeLinear's (packed weight, weight scales, weight zero points, bias, 1 / input scale).
torch::Tensor selfQuantizedLinear(const torch::Tensor& x, const c10::IValue& packed, const torch::Tensor& w,
                                  int64_t outliers) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == torch::kFloat && (outliers == 0 || w.size(1) == x.size(1)),
              "int8 linear: x [rows, in] fp32 (with w [out, in] for outlier channels)");
  const auto& p = packed.toTupleRef().elements();
  const int64_t rows = x.size(0), cols = x.size(1), outs = p[1].toTensor().size(0);
  if (rows == 0) return torch::zeros({0, outs}, x.options());
  const bool smooth = !p[4].isNone();
  auto minMax = columnMinMax(x);  // [2, cols]
  if (smooth) minMax.mul_(p[4].toTensor());  // the range of x / input scale (inverse > 0)
  torch::Tensor idx;
  if (outliers > 0) {
    idx = outlierColumns(minMax, outliers);
    minMax.index_fill_(1, idx, 0);  // out of the range (0 is in it anyway)
  }
  const float lo = std::min(minMax[0].min().item<float>(), 0.0f), hi = std::max(minMax[1].max().item<float>(), 0.0f);
  if (!std::isfinite(lo) || !std::isfinite(hi))  // a NaN or an infinity in x: no finite range, NaN out
    return torch::full({rows, outs}, std::numeric_limits<float>::quiet_NaN(), x.options());
  const auto q = quant_utils::ChooseQuantizationParams(lo, hi, 0, 255);
  const double scale = q.scale;
  const int64_t zp = q.zero_point;
  const float inv = static_cast<float>(1.0 / scale);
  auto mul = smooth ? p[4].toTensor().mul(inv).contiguous() : torch::full({cols}, inv, x.options());  // [cols]
  auto qx = torch::empty({rows, cols}, x.options().dtype(torch::kByte));
  const float* px = x.data_ptr<float>();
  const float* pm = mul.data_ptr<float>();
  uint8_t* pq = qx.data_ptr<uint8_t>();
  at::parallel_for(0, rows, 64, [&](int64_t r0, int64_t r1) {
    quantizeRows(px, r0, r1, cols, pm, static_cast<float>(zp), pq);
  });
  if (outliers > 0) qx.index_fill_(1, idx, zp);
  c10::List<c10::optional<c10::Scalar>> none;
  // (qx, its scale and zero point, weight, its scales and zero points, bias, output scale and zero
  // point, output dtype, post-op, its arguments, its algorithm)
  auto y = callOp("onednn::qlinear_pointwise", {qx, scale, zp, p[0], p[1], p[2], p[3], 1.0, int64_t(0),
                                                 c10::IValue(torch::kFloat), std::string("none"), none, std::string()})
               .toTensor();
  if (outliers > 0) y.addmm_(x.index_select(1, idx), w.index_select(1, idx).t());  // + x[:, k] W[:, k]^T in fp32
  return y;
}

// y = x W^T + b with x quantized per call (uint8, per-tensor range) and int8 W; fp32 in and out.
// Arguments: x, packed handle, reduceRange, engine[, fp32 weight [out, in], outlier channels].
// A self-quantized weight runs selfQuantizedLinear; the others libtorch's dynamic linear, with
// outlier channels through outlierSplitLinear (x is changed during the call and restored).
// reduceRange uses 7-bit activations (fbgemm's guard against 16-bit accumulator saturation on CPUs without VNNI).
Napi::Value quantizedLinear(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::NoGradGuard noGrad;
    auto it = g_packed.find(info[1].As<Napi::Number>().Int64Value());
    if (it == g_packed.end()) throw Napi::Error::New(info.Env(), "packed weight used after disposePacked()");
    at::globalContext().setQEngine(qengineOf(str(info, 3)));
    auto x = arg(info, 0).contiguous();
    bool reduceRange = info[2].ToBoolean().Value();
    const int64_t outliers = info.Length() > 5 ? info[5].As<Napi::Number>().Int64Value() : 0;
    if (it->second.isTuple())
      return g_table.wrap(info.Env(),
                          selfQuantizedLinear(x, it->second, outliers > 0 ? arg(info, 4) : torch::Tensor(), outliers));
    if (outliers > 0 && x.size(0) > 0)
      return g_table.wrap(info.Env(), outlierSplitLinear(x, it->second, reduceRange, arg(info, 4), outliers));
    return g_table.wrap(info.Env(), callOp("quantized::linear_dynamic", {x, it->second, reduceRange}).toTensor());
  });
}

Napi::Value disposePacked(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    g_packed.erase(info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
  });
}

Napi::Value livePacked(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_packed.size()));
}

}  // namespace

void registerPrecisionOps(Napi::Env env, Napi::Object exports, TensorTable table) {
  g_table = table;
  exports.Set("hasOp", Napi::Function::New(env, hasOp, "hasOp"));
  exports.Set("setMatmulPrecision", Napi::Function::New(env, setMatmulPrecision, "setMatmulPrecision"));
  exports.Set("matmulPrecision", Napi::Function::New(env, matmulPrecision, "matmulPrecision"));
  exports.Set("tensorVersion", Napi::Function::New(env, tensorVersion, "tensorVersion"));
  exports.Set("packLinearWeight", Napi::Function::New(env, packLinearWeight, "packLinearWeight"));
  exports.Set("packedLinear", Napi::Function::New(env, packedLinear, "packedLinear"));
  exports.Set("quantEngines", Napi::Function::New(env, quantEngines, "quantEngines"));
  exports.Set("quantizeLinear", Napi::Function::New(env, quantizeLinear, "quantizeLinear"));
  exports.Set("quantizedLinear", Napi::Function::New(env, quantizedLinear, "quantizedLinear"));
  exports.Set("disposePacked", Napi::Function::New(env, disposePacked, "disposePacked"));
  exports.Set("livePacked", Napi::Function::New(env, livePacked, "livePacked"));
}

}  // namespace ftlab
