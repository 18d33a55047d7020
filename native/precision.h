// Registration of the precision ops (native/precision.cc) into the addon's exports. The addon's
// tensor table lives in ftlab_native.cc; it hands its two accessors over at registration.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace ftlab {

struct TensorTable {
  Napi::Value (*wrap)(Napi::Env env, torch::Tensor t);
  const torch::Tensor& (*get)(const Napi::Value& handle);
};

void registerPrecisionOps(Napi::Env env, Napi::Object exports, TensorTable table);

}  // namespace ftlab
