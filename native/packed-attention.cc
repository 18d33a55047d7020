// Attention over packed (unpadded) sequences: q, k, v [N, C] hold the real tokens of a batch's
// sequences one after another (lengths L_s, sum L_s = N); each sequence attends only to itself:
// per sequence and head, softmax(Q_s K_s^T * scale) V_s, with attention-probability dropout.
// No compute and no memory go to padding. One entry, no model knowledge: the caller says the
// lengths and the number of heads H (D = C / H).
//
// The forward is the hand-written kernel (attention-kernel.cc) where it applies, else per
// sequence libtorch ops, each thread taking whole sequences (single-threaded small GEMMs inside),
// as the padded fused attention takes whole batch rows. Backward is written out as there
// (dS = P * (dP - rowsum(dP * P))); the probabilities of all sequences live in one flat buffer
// of sum_s H L_s^2 floats.

#include "attention-kernel.h"
#include "tensor_table.h"

#include <vector>

namespace {

using torch::Tensor;

// [L, C] rows of sequence s as [H, L, D] (a view).
Tensor heads(const Tensor& x, int64_t off, int64_t L, int64_t H) {
  return x.narrow(0, off, L).view({L, H, x.size(1) / H}).transpose(0, 1);
}

struct Layout {
  std::vector<int64_t> lengths, offsets, probOffsets;  // tokens and probabilities per sequence
  int64_t probs = 0;
  Layout(const std::vector<int64_t>& ls, int64_t H) : lengths(ls) {
    int64_t o = 0;
    for (auto L : ls) {
      offsets.push_back(o);
      probOffsets.push_back(probs);
      o += L;
      probs += H * L * L;
    }
  }
};

// The forward goes to the hand-written kernel where the CPU and head size allow it
// (attention-kernel.cc): inference straight from the packedAttention entry, training (fp32) from
// the autograd forward below; setFusedAttention(false) keeps libtorch's ops (tests compare the two).
bool fusedEnabled = true;

bool fusedApplies(const Tensor& q, const Tensor& k, const Tensor& v, int64_t D) {
  const auto t = q.scalar_type();
  const auto rowsOk = [&](const Tensor& x) {
    return x.scalar_type() == t && x.device().is_cpu() && x.stride(1) == 1 && x.stride(0) >= x.size(1);
  };
  return fusedEnabled && (t == torch::kFloat32 || t == torch::kBFloat16) && rowsOk(q) && rowsOk(k) && rowsOk(v) &&
         ftlab::attention::isaFor(D)[0] != '\0';
}

ftlab::attention::Problem problemFor(const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                                    const Layout& lay, int64_t H, double scale) {
  ftlab::attention::Problem p;
  p.q = {q.data_ptr(), q.stride(0)};
  p.k = {k.data_ptr(), k.stride(0)};
  p.v = {v.data_ptr(), v.stride(0)};
  p.out = out.data_ptr();
  p.outStride = out.stride(0);
  p.bf16 = q.scalar_type() == torch::kBFloat16;
  p.heads = H;
  p.headSize = q.size(1) / H;
  p.scale = static_cast<float>(scale);
  p.lengths = lay.lengths;
  p.offsets = lay.offsets;
  p.probOffsets = lay.probOffsets;
  return p;
}

Tensor fusedInference(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<int64_t>& lengths,
                      int64_t H, double scale) {
  auto out = torch::empty({q.size(0), q.size(1)}, q.options());
  ftlab::attention::run(problemFor(q, k, v, out, Layout(lengths, H), H, scale));
  return out;
}

struct PackedAttention : public torch::autograd::Function<PackedAttention> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, Tensor q, Tensor k, Tensor v,
                        std::vector<int64_t> lengths, int64_t H, double scale, double dropoutP, bool train,
                        bool keepProbs) {
    // Detached, as the padded attention: the backward is written out and the *_out kernels refuse grad inputs.
    q = q.detach().contiguous(); k = k.detach().contiguous(); v = v.detach().contiguous();
    const Layout lay(lengths, H);
    const int64_t S = static_cast<int64_t>(lengths.size());
    auto probs = keepProbs ? torch::empty({lay.probs}, q.options()) : Tensor();
    auto out = torch::empty_like(q);  // [N, C]
    const bool drop = train && dropoutP > 0;
    Tensor keep;  // [sum H L^2] of 0 or 1/(1-p)
    if (drop) keep = torch::empty({lay.probs}, q.options()).bernoulli_(1 - dropoutP).div_(1 - dropoutP);
    if (q.scalar_type() == torch::kFloat32 && fusedApplies(q, k, v, q.size(1) / H)) {
      auto p = problemFor(q, k, v, out, lay, H, scale);
      p.probs = keepProbs ? probs.data_ptr<float>() : nullptr;
      p.keep = drop ? keep.data_ptr<float>() : nullptr;
      ftlab::attention::run(p);
    } else at::parallel_for(0, S, 1, [&](int64_t s0, int64_t s1) {
      at::NoGradGuard noGrad;
      for (int64_t s = s0; s < s1; s++) {
        const int64_t L = lay.lengths[s], o = lay.offsets[s], po = lay.probOffsets[s];
        auto p = keepProbs ? probs.narrow(0, po, H * L * L).view({H, L, L}) : torch::empty({H, L, L}, q.options());
        at::bmm_out(p, heads(q, o, L, H), heads(k, o, L, H).transpose(1, 2));  // Q K^T [H, L, L]
        p.mul_(scale);
        at::_softmax_out(p, p, -1, false);
        auto pd = drop ? p * keep.narrow(0, po, H * L * L).view({H, L, L}) : p;
        heads(out, o, L, H).copy_(at::bmm(pd, heads(v, o, L, H)));  // [H, L, D]
      }
    });
    ctx->save_for_backward({q, k, v, probs, drop ? keep : Tensor()});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["heads"] = H;
    ctx->saved_data["lengths"] = lengths;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    auto q = saved[0], k = saved[1], v = saved[2], probs = saved[3], keep = saved[4];
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t H = ctx->saved_data["heads"].toInt();
    const Layout lay(ctx->saved_data["lengths"].toIntVector(), H);
    const int64_t S = static_cast<int64_t>(lay.lengths.size());
    auto dout = grads[0].detach().contiguous();
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    const bool drop = keep.defined();
    at::parallel_for(0, S, 1, [&](int64_t s0, int64_t s1) {
      at::NoGradGuard noGrad;
      for (int64_t s = s0; s < s1; s++) {
        const int64_t L = lay.lengths[s], o = lay.offsets[s], po = lay.probOffsets[s];
        auto p = probs.narrow(0, po, H * L * L).view({H, L, L});
        auto kp = drop ? keep.narrow(0, po, H * L * L).view({H, L, L}) : Tensor();
        auto pd = drop ? p * kp : p;
        auto qs = heads(q, o, L, H), ks = heads(k, o, L, H), vs = heads(v, o, L, H), dos = heads(dout, o, L, H);
        heads(dv, o, L, H).copy_(at::bmm(pd.transpose(1, 2), dos));  // dV = P'^T dO
        auto dp = at::bmm(dos, vs.transpose(1, 2));                  // dP' = dO V^T
        if (drop) dp.mul_(kp);                                       // dP = dP' * keep
        auto ds = p * (dp - (dp * p).sum(-1, true));                 // softmax backward
        ds.mul_(scale);
        heads(dq, o, L, H).copy_(at::bmm(ds, ks));                   // dQ = dS K
        heads(dk, o, L, H).copy_(at::bmm(ds.transpose(1, 2), qs));   // dK = dS^T Q
      }
    });
    return {dq, dk, dv, Tensor(), Tensor(), Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

// setFusedAttention(on: boolean) -> the instruction set the inference kernel uses for head size D
// ("avx512" | "avx2" | "" where libtorch runs it): fusedAttentionIsa(D)
Napi::Value setFusedAttention(const Napi::CallbackInfo& info) {
  fusedEnabled = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
}
Napi::Value fusedAttentionIsa(const Napi::CallbackInfo& info) {
  const int64_t D = info[0].As<Napi::Number>().Int64Value();
  return Napi::String::New(info.Env(), fusedEnabled ? ftlab::attention::isaFor(D) : "");
}

// packedAttention(q, k, v, lengths: number[], heads, scale, dropoutP, train) -> [N, C]
Napi::Value packedAttention(const Napi::CallbackInfo& info) {
  return ftlab::guarded(info, [&]() -> Napi::Value {
    const auto &q = ftlab::tensorArg(info[0]), &k = ftlab::tensorArg(info[1]), &v = ftlab::tensorArg(info[2]);
    auto arr = info[3].As<Napi::Array>();
    std::vector<int64_t> lengths(arr.Length());
    int64_t total = 0;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      lengths[i] = arr.Get(i).As<Napi::Number>().Int64Value();
      if (lengths[i] < 1) throw std::invalid_argument("packedAttention: every sequence needs at least one token");
      total += lengths[i];
    }
    const int64_t H = info[4].As<Napi::Number>().Int64Value();
    if (q.dim() != 2 || q.size(0) != total || q.size(1) % H != 0 || k.sizes() != q.sizes() || v.sizes() != q.sizes())
      throw std::invalid_argument("packedAttention: q, k, v must be [sum(lengths), C] with C divisible by heads");
    const double scale = info[5].As<Napi::Number>().DoubleValue();
    const double dropoutP = info[6].As<Napi::Number>().DoubleValue();
    const bool train = info[7].As<Napi::Boolean>().Value();
    // (autograd runs Function::forward with grad mode off, so this is decided out here)
    const bool needsGrad =
        torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    if (!needsGrad && !(train && dropoutP > 0) && fusedApplies(q, k, v, q.size(1) / H))
      return ftlab::wrapTensor(info.Env(), fusedInference(q, k, v, lengths, H, scale));
    return ftlab::wrapTensor(info.Env(),
                             PackedAttention::apply(q, k, v, lengths, H, scale, dropoutP, train, needsGrad));
  });
}

}  // namespace

namespace ftlab {
void registerPackedAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("packedAttention", Napi::Function::New(env, packedAttention, "packedAttention"));
  exports.Set("setFusedAttention", Napi::Function::New(env, setFusedAttention, "setFusedAttention"));
  exports.Set("fusedAttentionIsa", Napi::Function::New(env, fusedAttentionIsa, "fusedAttentionIsa"));
}
}  // namespace ftlab
