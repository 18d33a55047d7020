// ftlab's native engine: a thin, C-shaped N-API wrapper over libtorch.
//
// One entry per op, plain arguments, opaque tensor handles. Every entry runs inside
// `guard`, which turns a libtorch (c10::Error) or std exception into a JavaScript
// exception carrying the libtorch message: no C++ exception crosses the boundary.
// Nothing here knows about models, training or retrieval; src/engine/ builds on it.
//
// A handle is a number: the key of the tensor in a table here. Handles are never reused, so
// a stale one is reported ("used after dispose") instead of reaching another tensor. No
// N-API object or finalizer is made per tensor: Node runs N-API finalizers only when the
// event loop turns, and a long synchronous training loop would pile them up.

#include <napi.h>
#include "precision.h"
#include <torch/torch.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/CPUGeneratorImpl.h>
#include "tensor_table.h"

#include <malloc.h>
#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

std::unordered_map<int64_t, torch::Tensor> g_tensors;
int64_t g_next = 1;

Napi::Value wrap(Napi::Env env, torch::Tensor t) {
  if (!t.defined()) return env.Null();
  int64_t id = g_next++;
  g_tensors.emplace(id, std::move(t));
  return Napi::Number::New(env, static_cast<double>(id));
}

int64_t idOf(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected a tensor handle");
  return v.As<Napi::Number>().Int64Value();
}

const torch::Tensor& tensorOf(const Napi::Value& v) {
  auto it = g_tensors.find(idOf(v));
  if (it == g_tensors.end()) throw Napi::Error::New(v.Env(), "tensor used after dispose()");
  return it->second;
}

const torch::Tensor& T(const Napi::CallbackInfo& info, size_t i) { return tensorOf(info[i]); }

torch::Tensor optT(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return torch::Tensor();
  return T(info, i);
}

double D(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
int64_t I(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
bool B(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }
std::string S(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }

std::vector<int64_t> IL(const Napi::CallbackInfo& info, size_t i) {
  auto a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out[k] = a.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

std::vector<torch::Tensor> TL(const Napi::CallbackInfo& info, size_t i) {
  auto a = info[i].As<Napi::Array>();
  std::vector<torch::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out.push_back(tensorOf(a.Get(k)));
  return out;
}

torch::Dtype dtypeOf(const std::string& s) {
  if (s == "float32") return torch::kFloat32;
  if (s == "float64") return torch::kFloat64;
  if (s == "float16") return torch::kFloat16;
  if (s == "bfloat16") return torch::kBFloat16;
  if (s == "int64") return torch::kInt64;
  if (s == "int32") return torch::kInt32;
  if (s == "uint8") return torch::kUInt8;
  if (s == "bool") return torch::kBool;
  throw std::invalid_argument("unknown dtype '" + s + "'");
}

std::string dtypeName(torch::Dtype d) {
  switch (d) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return std::string(c10::toString(d));
  }
}

torch::TensorOptions opts(const Napi::CallbackInfo& info, size_t dtypeIdx, size_t deviceIdx) {
  return torch::TensorOptions().dtype(dtypeOf(S(info, dtypeIdx))).device(torch::Device(S(info, deviceIdx)));
}

template <typename F>
Napi::Value guard(const Napi::CallbackInfo& info, F&& f) {
  Napi::Env env = info.Env();
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

#define OP(name) Napi::Value name(const Napi::CallbackInfo& info) { return guard(info, [&]() -> Napi::Value
#define END ); }
#define RET(expr) return wrap(info.Env(), (expr))

// ---- creation and conversion ---------------------------------------------------------

// fromArray(typedArray, shape, dtype): copies the bytes (JS may mutate its array later).
OP(fromArray) {
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = IL(info, 1);
  auto dtype = dtypeOf(S(info, 2));
  auto t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  size_t bytes = t.numel() * t.element_size();
  if (ta.ByteLength() != bytes) {
    throw std::invalid_argument("fromArray: " + std::to_string(ta.ByteLength()) + " bytes given for shape " +
                                c10::str(t.sizes()) + " of " + dtypeName(dtype) + " (" + std::to_string(bytes) + " bytes)");
  }
  auto ab = ta.ArrayBuffer();
  std::memcpy(t.data_ptr(), static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), bytes);
  RET(t);
} END

// toArray(t): the data copied into a JS-owned ArrayBuffer. (A zero-copy external buffer
// would keep the tensor alive until Node runs its finalizer, which a synchronous loop
// postpones indefinitely.)
OP(toArray) {
  torch::Tensor t = T(info, 0).detach().to(torch::kCPU).contiguous();
  size_t bytes = t.numel() * t.element_size();
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), bytes);
  if (bytes > 0) std::memcpy(ab.Data(), t.data_ptr(), bytes);
  size_t n = t.numel();
  switch (t.scalar_type()) {
    case torch::kFloat32: return Napi::Float32Array::New(info.Env(), n, ab, 0);
    case torch::kFloat64: return Napi::Float64Array::New(info.Env(), n, ab, 0);
    case torch::kInt64: return Napi::BigInt64Array::New(info.Env(), n, ab, 0);
    case torch::kInt32: return Napi::Int32Array::New(info.Env(), n, ab, 0);
    case torch::kFloat16:
    case torch::kBFloat16: return Napi::Uint16Array::New(info.Env(), n, ab, 0);
    case torch::kUInt8:
    case torch::kBool: return Napi::Uint8Array::New(info.Env(), n, ab, 0);
    default: throw std::invalid_argument("toArray: unsupported dtype " + dtypeName(t.scalar_type()));
  }
} END

OP(item) { return Napi::Number::New(info.Env(), T(info, 0).item<double>()); } END
OP(zeros) { RET(torch::zeros(IL(info, 0), opts(info, 1, 2))); } END
OP(ones) { RET(torch::ones(IL(info, 0), opts(info, 1, 2))); } END
OP(full) { RET(torch::full(IL(info, 0), D(info, 1), opts(info, 2, 3))); } END
OP(randn) { RET(torch::randn(IL(info, 0), opts(info, 1, 2))); } END
OP(rand) { RET(torch::rand(IL(info, 0), opts(info, 1, 2))); } END
OP(arange) { RET(torch::arange(D(info, 0), D(info, 1), D(info, 2), opts(info, 3, 4))); } END
OP(randperm) { RET(torch::randperm(I(info, 0), torch::TensorOptions().dtype(torch::kInt64))); } END
OP(to) { RET(T(info, 0).to(torch::Device(S(info, 1)), dtypeOf(S(info, 2)))); } END
OP(clone) { RET(T(info, 0).clone()); } END
OP(detach) { RET(T(info, 0).detach()); } END
OP(contiguous) { RET(T(info, 0).contiguous()); } END

// ---- metadata ---------------------------------------------------------------------------

OP(shape) {
  auto s = T(info, 0).sizes();
  auto a = Napi::Array::New(info.Env(), s.size());
  for (size_t i = 0; i < s.size(); i++) a.Set(i, Napi::Number::New(info.Env(), static_cast<double>(s[i])));
  return a;
} END
OP(dtype) { return Napi::String::New(info.Env(), dtypeName(T(info, 0).scalar_type())); } END
OP(device) { return Napi::String::New(info.Env(), T(info, 0).device().str()); } END
OP(dispose) { g_tensors.erase(idOf(info[0])); return info.Env().Undefined(); } END
OP(isDisposed) { return Napi::Boolean::New(info.Env(), g_tensors.count(idOf(info[0])) == 0); } END
OP(liveTensors) { return Napi::Number::New(info.Env(), static_cast<double>(g_tensors.size())); } END

// ---- elementwise -----------------------------------------------------------------------

OP(add) { RET(T(info, 0) + T(info, 1)); } END
OP(sub) { RET(T(info, 0) - T(info, 1)); } END
OP(mul) { RET(T(info, 0) * T(info, 1)); } END
OP(div) { RET(T(info, 0) / T(info, 1)); } END
OP(addScalar) { RET(T(info, 0) + D(info, 1)); } END
OP(mulScalar) { RET(T(info, 0) * D(info, 1)); } END
OP(powScalar) { RET(T(info, 0).pow(D(info, 1))); } END
OP(maximum) { RET(torch::maximum(T(info, 0), T(info, 1))); } END
OP(minimum) { RET(torch::minimum(T(info, 0), T(info, 1))); } END
OP(clamp) {
  c10::optional<c10::Scalar> lo, hi;
  if (!info[1].IsNull()) lo = D(info, 1);
  if (!info[2].IsNull()) hi = D(info, 2);
  RET(torch::clamp(T(info, 0), lo, hi));
} END
OP(neg) { RET(-T(info, 0)); } END
OP(exp) { RET(T(info, 0).exp()); } END
OP(log) { RET(T(info, 0).log()); } END
OP(sqrt) { RET(T(info, 0).sqrt()); } END
OP(rsqrt) { RET(T(info, 0).rsqrt()); } END
OP(abs) { RET(T(info, 0).abs()); } END
OP(tanh) { RET(T(info, 0).tanh()); } END
OP(sigmoid) { RET(T(info, 0).sigmoid()); } END
OP(relu) { RET(torch::relu(T(info, 0))); } END
// gelu: the exact erf form BERT uses, 0.5 x (1 + erf(x / sqrt 2)).
OP(gelu) { RET(torch::gelu(T(info, 0))); } END
// the same in place (inference: a fresh activation that nothing else reads, no new buffer)
OP(geluInPlace) { auto t = T(info, 0); at::gelu_(t); return info.Env().Undefined(); } END
OP(eq) { RET(T(info, 0).eq(T(info, 1))); } END
OP(gt) { RET(T(info, 0).gt(T(info, 1))); } END
OP(lt) { RET(T(info, 0).lt(T(info, 1))); } END
OP(gtScalar) { RET(T(info, 0).gt(D(info, 1))); } END
OP(where) { RET(torch::where(T(info, 0), T(info, 1), T(info, 2))); } END
OP(maskedFill) { RET(T(info, 0).masked_fill(T(info, 1), D(info, 2))); } END
OP(isFinite) { return Napi::Boolean::New(info.Env(), torch::isfinite(T(info, 0)).all().item<bool>()); } END

// ---- reductions ------------------------------------------------------------------------

OP(sum) {
  if (info[1].IsNull()) RET(T(info, 0).sum());
  RET(T(info, 0).sum(IL(info, 1), B(info, 2)));
} END
OP(mean) {
  if (info[1].IsNull()) RET(T(info, 0).mean());
  RET(T(info, 0).mean(IL(info, 1), B(info, 2)));
} END
OP(max) { RET(std::get<0>(T(info, 0).max(I(info, 1), B(info, 2)))); } END
OP(argmax) { RET(T(info, 0).argmax(I(info, 1), B(info, 2))); } END
OP(norm) {
  if (info[2].IsNull()) RET(T(info, 0).norm(D(info, 1)));
  RET(torch::norm(T(info, 0), D(info, 1), IL(info, 2), B(info, 3)));
} END
OP(logsumexp) { RET(torch::logsumexp(T(info, 0), IL(info, 1), B(info, 2))); } END

// ---- shape -----------------------------------------------------------------------------

OP(reshape) { RET(T(info, 0).reshape(IL(info, 1))); } END
OP(transpose) { RET(T(info, 0).transpose(I(info, 1), I(info, 2))); } END
OP(permute) { RET(T(info, 0).permute(IL(info, 1))); } END
OP(unsqueeze) { RET(T(info, 0).unsqueeze(I(info, 1))); } END
OP(squeeze) { RET(T(info, 0).squeeze(I(info, 1))); } END
OP(expand) { RET(T(info, 0).expand(IL(info, 1))); } END
OP(cat) { RET(torch::cat(TL(info, 0), I(info, 1))); } END
OP(stack) { RET(torch::stack(TL(info, 0), I(info, 1))); } END
OP(slice) { RET(T(info, 0).slice(I(info, 1), I(info, 2), I(info, 3))); } END
OP(indexSelect) { RET(T(info, 0).index_select(I(info, 1), T(info, 2))); } END
OP(gather) { RET(T(info, 0).gather(I(info, 1), T(info, 2))); } END

// ---- neural-network ops -----------------------------------------------------------------

OP(matmul) { RET(torch::matmul(T(info, 0), T(info, 1))); } END
// linear(x [.., in], w [out, in], b [out] | null) = x w^T + b
OP(linear) { RET(torch::nn::functional::linear(T(info, 0), T(info, 1), optT(info, 2))); } END
OP(embedding) { RET(torch::embedding(T(info, 0), T(info, 1))); } END
OP(layerNorm) { RET(torch::layer_norm(T(info, 0), IL(info, 1), optT(info, 2), optT(info, 3), D(info, 4))); } END
OP(softmax) { RET(torch::softmax(T(info, 0), I(info, 1))); } END
OP(logSoftmax) { RET(torch::log_softmax(T(info, 0), I(info, 1))); } END
OP(dropout) { RET(torch::dropout(T(info, 0), D(info, 1), B(info, 2))); } END
// normalize(x, p, dim, eps) = x / max(||x||_p, eps), as torch.nn.functional.normalize
OP(normalize) {
  namespace F = torch::nn::functional;
  RET(F::normalize(T(info, 0), F::NormalizeFuncOptions().p(D(info, 1)).dim(I(info, 2)).eps(D(info, 3))));
} END
OP(crossEntropy) { RET(torch::nn::functional::cross_entropy(T(info, 0), T(info, 1))); } END
OP(topk) {
  auto r = torch::topk(T(info, 0), I(info, 1), I(info, 2), B(info, 3), true);
  auto a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, wrap(info.Env(), std::get<0>(r)));
  a.Set(1u, wrap(info.Env(), std::get<1>(r)));
  return a;
} END

// Running top-k, in place: folds the rows of `scores` [Q, N] (float32, CPU) into `values` [Q, k]
// (float32, descending) and `indices` [Q, k] (int64), column j counting as index offset + j.
// One pass with a per-row min-heap: an entry is compared with the row's k-th best and almost all
// are rejected there, so a block costs about one read of `scores` (torch::topk partially sorts a
// copy of every row, then the merge sorts again). Ties keep the lower index. Empty slots hold
// -inf / -1.
OP(topkUpdate) {
  torch::Tensor values = T(info, 0), indices = T(info, 1);
  const torch::Tensor scores = T(info, 2).contiguous();
  const int64_t offset = I(info, 3);
  TORCH_CHECK(values.device().is_cpu() && scores.device().is_cpu(), "topkUpdate: CPU tensors only");
  TORCH_CHECK(values.scalar_type() == torch::kFloat && scores.scalar_type() == torch::kFloat && indices.scalar_type() == torch::kLong,
              "topkUpdate: values and scores float32, indices int64");
  TORCH_CHECK(values.is_contiguous() && indices.is_contiguous(), "topkUpdate: values and indices must be contiguous");
  TORCH_CHECK(values.dim() == 2 && scores.dim() == 2 && values.sizes() == indices.sizes() && values.size(0) == scores.size(0),
              "topkUpdate: values, indices [Q, k] and scores [Q, N]");
  const int64_t Q = scores.size(0), N = scores.size(1), K = values.size(1);
  float* V = values.data_ptr<float>();
  int64_t* X = indices.data_ptr<int64_t>();
  const float* S = scores.data_ptr<float>();
  // worse(a, b): a ranks below b (lower score, or equal score and higher index; -1 is worst).
  auto worse = [](float sa, int64_t ia, float sb, int64_t ib) {
    if (sa != sb) return sa < sb;
    if (ia < 0 || ib < 0) return ia < 0 && ib >= 0;
    return ia > ib;
  };
  at::parallel_for(0, Q, 1, [&](int64_t q0, int64_t q1) {
    std::vector<std::pair<float, int64_t>> heap(K);
    for (int64_t q = q0; q < q1; q++) {
      float* v = V + q * K;
      int64_t* x = X + q * K;
      // min-heap on "worse": heap[0] is the row's current k-th best.
      for (int64_t j = 0; j < K; j++) heap[j] = {v[j], x[j]};
      auto cmp = [&](const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) { return worse(b.first, b.second, a.first, a.second); };
      std::make_heap(heap.begin(), heap.end(), cmp);
      const float* row = S + q * N;
      for (int64_t j = 0; j < N; j++) {
        const float s = row[j];
        if (s < heap[0].first || (s == heap[0].first && heap[0].second >= 0)) continue;
        std::pop_heap(heap.begin(), heap.end(), cmp);
        heap.back() = {s, offset + j};
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
      std::sort(heap.begin(), heap.end(), [&](const auto& a, const auto& b) { return worse(b.first, b.second, a.first, a.second); });
      for (int64_t j = 0; j < K; j++) { v[j] = heap[j].first; x[j] = heap[j].second; }
    }
  });
  return info.Env().Undefined();
} END


// ---- fused attention ------------------------------------------------------------------------
//
// softmax(Q K^T * scale + maskBias) V for q, k, v [B, H, T, D] and maskBias [B, 1, 1, T]
// (0 or a large negative), with attention-probability dropout. libtorch 1.13's bmm runs the
// B*H small GEMMs one after another, each split across threads; here each thread takes
// whole batch rows (single-threaded GEMMs inside). The addon must be built with -fopenmp:
// at::parallel_for is a header template, and without it the loop silently runs serially.
// Backward is written out (dS = P * (dP - rowsum(dP * P))) and checked against
// finite differences in test/engine.


struct Attention : public torch::autograd::Function<Attention> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor q, torch::Tensor k, torch::Tensor v,
                               torch::Tensor maskBias, double scale, double dropoutP, bool train, bool keepProbs) {
    // Detached: the *_out kernels below refuse inputs that require grad (libtorch 2.x checks this
    // in every thread, and grad mode is thread-local, so the caller's no-grad does not reach the
    // parallel_for workers). This Function's backward is written out; autograd needs no graph here.
    q = q.detach().contiguous(); k = k.detach().contiguous(); v = v.detach().contiguous();
    maskBias = maskBias.detach();
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
    // keepProbs: the backward needs every probability; inference needs one batch row's at a time.
    auto probs = keepProbs ? torch::empty({B, H, T, T}, q.options()) : torch::Tensor();
    auto out = torch::empty({B, H, T, D}, q.options());
    bool drop = train && dropoutP > 0;
    torch::Tensor keep;  // [B, H, T, T] of 0 or 1/(1-p)
    if (drop) keep = torch::empty({B, H, T, T}, q.options()).bernoulli_(1 - dropoutP).div_(1 - dropoutP);
    auto bias = maskBias.reshape({B, 1, T});  // broadcast over heads and query positions
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      at::NoGradGuard noGrad;
      for (int64_t b = b0; b < b1; b++) {
        auto p = keepProbs ? probs[b] : torch::empty({H, T, T}, q.options());  // [H, T, T]
        at::baddbmm_out(p, bias[b].expand({H, T, T}), q[b], k[b].transpose(1, 2), 1.0, scale);  // Q K^T * scale + mask
        at::_softmax_out(p, p, -1, false);
        auto ob = out[b];
        at::bmm_out(ob, drop ? p * keep[b] : p, v[b]);      // [H, T, D]
      }
    });
    ctx->save_for_backward({q, k, v, probs, drop ? keep : torch::Tensor()});
    ctx->saved_data["scale"] = scale;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    auto q = saved[0], k = saved[1], v = saved[2], probs = saved[3], keep = saved[4];
    double scale = ctx->saved_data["scale"].toDouble();
    auto dout = grads[0].detach().contiguous();
    const int64_t B = q.size(0);
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    bool drop = keep.defined();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      at::NoGradGuard noGrad;
      for (int64_t b = b0; b < b1; b++) {
        auto p = probs[b];                                   // [H, T, T]
        auto pd = drop ? p * keep[b] : p;                    // dropped probabilities
        auto dvb = dv[b], dqb = dq[b], dkb = dk[b];
        at::bmm_out(dvb, pd.transpose(1, 2), dout[b]);     // dV = P'^T dO
        auto dp = at::bmm(dout[b], v[b].transpose(1, 2));    // dP' = dO V^T
        if (drop) dp.mul_(keep[b]);                          // dP = dP' * keep
        auto ds = p * (dp - (dp * p).sum(-1, true));         // softmax backward
        ds.mul_(scale);
        at::bmm_out(dqb, ds, k[b]);                        // dQ = dS K
        at::bmm_out(dkb, ds.transpose(1, 2), q[b]);        // dK = dS^T Q
      }
    });
    return {dq, dk, dv, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

OP(attention) {
  const auto &q = T(info, 0), &k = T(info, 1), &v = T(info, 2);
  // (autograd runs Function::forward with grad mode off, so this is decided out here)
  const bool needsGrad = torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
  RET(Attention::apply(q, k, v, T(info, 3), D(info, 4), D(info, 5), B(info, 6), needsGrad));
} END

// ---- in-place (optimisers; never on tensors that autograd still needs) --------------------

OP(addInPlace) { T(info, 0).add_(T(info, 1), D(info, 2)); return info.Env().Undefined(); } END
OP(mulScalarInPlace) { T(info, 0).mul_(D(info, 1)); return info.Env().Undefined(); } END
OP(addcmulInPlace) { T(info, 0).addcmul_(T(info, 1), T(info, 2), D(info, 3)); return info.Env().Undefined(); } END
OP(addcdivInPlace) { T(info, 0).addcdiv_(T(info, 1), T(info, 2), D(info, 3)); return info.Env().Undefined(); } END
OP(copyInPlace) { T(info, 0).copy_(T(info, 1)); return info.Env().Undefined(); } END

// AdamW over many parameters in one call: libtorch's fused kernel, as torch.optim.AdamW(fused=True)
// runs it: one pass over each parameter and its moments, no temporaries. The update written
// with single ops allocated three full-size temporaries a parameter a step (the word embeddings:
// 3 x 47 MB, above glibc's mmap ceiling, so fresh zeroed pages every step). Arguments: params,
// grads, first and second moments (lists of handles), lr, beta1, beta2, weight decay, eps, the
// step (already counted). libtorch before 2.4 has no CPU kernel: the entry is absent there.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define FTLAB_FUSED_ADAMW 1
OP(fusedAdamW) {
  auto params = TL(info, 0), grads = TL(info, 1), m = TL(info, 2), v = TL(info, 3);
  std::vector<torch::Tensor> steps;
  steps.reserve(params.size());
  for (const auto& p : params) steps.push_back(torch::full({}, D(info, 9), p.options().dtype(torch::kFloat32)));
  at::_fused_adamw_(params, grads, m, v, {}, steps, D(info, 4), D(info, 5), D(info, 6), D(info, 7), D(info, 8),
                    /*amsgrad=*/false, /*maximize=*/false);
  // The parameters' version counters do not move through this op (measured: test/train/losses.test.ts
  // fails without this line), and prepacked inference copies use the counter to see that a weight moved.
  for (auto& p : params) p.unsafeGetTensorImpl()->bump_version();
  return info.Env().Undefined();
} END
#endif
OP(zeroInPlace) { T(info, 0).zero_(); return info.Env().Undefined(); } END

// ---- autograd ---------------------------------------------------------------------------

OP(setRequiresGrad) { T(info, 0).requires_grad_(B(info, 1)); return info.Env().Undefined(); } END
OP(requiresGrad) { return Napi::Boolean::New(info.Env(), T(info, 0).requires_grad()); } END
OP(backward) {
  torch::Tensor g = optT(info, 1);
  T(info, 0).backward(g);
  return info.Env().Undefined();
} END
OP(grad) { RET(T(info, 0).grad()); } END
OP(clearGrad) { T(info, 0).mutable_grad() = torch::Tensor(); return info.Env().Undefined(); } END
OP(setGradEnabled) {
  bool prev = torch::GradMode::is_enabled();
  torch::GradMode::set_enabled(B(info, 0));
  return Napi::Boolean::New(info.Env(), prev);
} END
OP(isGradEnabled) { return Napi::Boolean::New(info.Env(), torch::GradMode::is_enabled()); } END

// ---- runtime ----------------------------------------------------------------------------

OP(manualSeed) { torch::manual_seed(static_cast<uint64_t>(I(info, 0))); return info.Env().Undefined(); } END
OP(getRngState) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  RET(gen.get_state());
} END
OP(setRngState) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(info, 0));
  return info.Env().Undefined();
} END
OP(setNumThreads) { at::set_num_threads(static_cast<int>(I(info, 0))); return info.Env().Undefined(); } END
OP(getNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); } END
OP(cudaIsAvailable) { return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); } END
OP(cudaDeviceCount) { return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count())); } END
OP(synchronize) {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
  return info.Env().Undefined();
} END
OP(version) { return Napi::String::New(info.Env(), TORCH_VERSION); } END
OP(parallelInfo) { return Napi::String::New(info.Env(), at::get_parallel_info()); } END
// The build configuration (BLAS, MKL, oneDNN, OpenMP, CUDA) as libtorch reports it.
OP(showConfig) { return Napi::String::New(info.Env(), at::show_config()); } END

#define EXPORT(name) exports.Set(#name, Napi::Function::New(env, name, #name))

// Big tensors come and go every layer. glibc's defaults hand freed memory back to the kernel
// (mmap above a moving threshold, heap trimming), so each new activation page-faults and is
// zeroed again: ~30% of an encoder forward here. Keep allocations up to 32 MB (glibc's
// maximum) on the heap and keep up to 1 GB of freed heap for reuse.
void tuneMalloc() {
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  mallopt(M_TOP_PAD, 64 * 1024 * 1024);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneMalloc();
  EXPORT(fromArray); EXPORT(toArray); EXPORT(item); EXPORT(zeros); EXPORT(ones); EXPORT(full);
  EXPORT(randn); EXPORT(rand); EXPORT(arange); EXPORT(randperm); EXPORT(to); EXPORT(clone);
  EXPORT(detach); EXPORT(contiguous);
  EXPORT(shape); EXPORT(dtype); EXPORT(device); EXPORT(dispose); EXPORT(isDisposed); EXPORT(liveTensors);
  EXPORT(add); EXPORT(sub); EXPORT(mul); EXPORT(div); EXPORT(addScalar); EXPORT(mulScalar);
  EXPORT(powScalar); EXPORT(maximum); EXPORT(minimum); EXPORT(clamp); EXPORT(neg); EXPORT(exp);
  EXPORT(log); EXPORT(sqrt); EXPORT(rsqrt); EXPORT(abs); EXPORT(tanh); EXPORT(sigmoid); EXPORT(relu);
  EXPORT(gelu); EXPORT(geluInPlace); EXPORT(eq); EXPORT(gt); EXPORT(lt); EXPORT(gtScalar); EXPORT(where); EXPORT(maskedFill);
  EXPORT(isFinite);
  EXPORT(sum); EXPORT(mean); EXPORT(max); EXPORT(argmax); EXPORT(norm); EXPORT(logsumexp);
  EXPORT(reshape); EXPORT(transpose); EXPORT(permute); EXPORT(unsqueeze); EXPORT(squeeze);
  EXPORT(expand); EXPORT(cat); EXPORT(stack); EXPORT(slice); EXPORT(indexSelect); EXPORT(gather);
  EXPORT(matmul); EXPORT(linear); EXPORT(embedding); EXPORT(layerNorm); EXPORT(softmax);
  EXPORT(logSoftmax); EXPORT(dropout); EXPORT(normalize); EXPORT(crossEntropy); EXPORT(topk); EXPORT(topkUpdate); EXPORT(attention);
  EXPORT(addInPlace); EXPORT(mulScalarInPlace); EXPORT(addcmulInPlace); EXPORT(addcdivInPlace);
  EXPORT(copyInPlace); EXPORT(zeroInPlace);
#ifdef FTLAB_FUSED_ADAMW
  EXPORT(fusedAdamW);
#endif
  EXPORT(setRequiresGrad); EXPORT(requiresGrad); EXPORT(backward); EXPORT(grad); EXPORT(clearGrad);
  EXPORT(setGradEnabled); EXPORT(isGradEnabled);
  EXPORT(manualSeed); EXPORT(getRngState); EXPORT(setRngState); EXPORT(setNumThreads);
  EXPORT(getNumThreads); EXPORT(cudaIsAvailable); EXPORT(cudaDeviceCount); EXPORT(synchronize);
  EXPORT(version); EXPORT(parallelInfo); EXPORT(showConfig);
  ftlab::registerPrecisionOps(env, exports, {wrap, tensorOf});
  ftlab::registerDistributed(env, exports);
  ftlab::registerPackedAttention(env, exports);
  ftlab::registerSearch(env, exports);
  return exports;
}

}  // namespace

namespace ftlab {
Napi::Value wrapTensor(Napi::Env env, torch::Tensor t) { return wrap(env, std::move(t)); }
const torch::Tensor& tensorArg(const Napi::Value& v) { return tensorOf(v); }
}  // namespace ftlab

NODE_API_MODULE(ftlab_native, Init)
