// The tensor handle table of ftlab_native.cc, for the addon's other files (distributed.cc, ...):
// they take and return handles exactly as its own entries do.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace ftlab {
Napi::Value wrapTensor(Napi::Env env, torch::Tensor t);
const torch::Tensor& tensorArg(const Napi::Value& v);
void registerDistributed(Napi::Env env, Napi::Object exports);
void registerPackedAttention(Napi::Env env, Napi::Object exports);  // packed-attention.cc
void registerSearch(Napi::Env env, Napi::Object exports);            // search.cc

// Runs an entry's body with libtorch's exceptions turned into JS errors: a C++ exception never
// unwinds through the boundary (the addon's files share this one wrapper).
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}
}  // namespace ftlab
