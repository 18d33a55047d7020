// The tensor handle table of ftlab_native.cc, for the addon's other files (distributed.cc):
// they take and return handles exactly as its own entries do.
#pragma once
#include <napi.h>
#include <torch/torch.h>

namespace ftlab {
Napi::Value wrapTensor(Napi::Env env, torch::Tensor t);
const torch::Tensor& tensorArg(const Napi::Value& v);
void registerDistributed(Napi::Env env, Napi::Object exports);
void registerPackedAttention(Napi::Env env, Napi::Object exports);  // packed-attention.cc
}  // namespace ftlab
