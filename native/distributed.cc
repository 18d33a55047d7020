// PyTorch's distributed engine (c10d) behind the same C-shaped entries as ftlab_native.cc:
// one process group per process, made from a TCPStore rendezvous; Gloo on CPU tensors,
// NCCL on CUDA tensors when this build has it. Collectives block until done (work->wait()),
// and a peer that died or a timeout surfaces as a JavaScript exception with c10d's message.
//
// Compiled only where c10d can be: libtorch 2.x with Gloo's headers (Debian's libgloo-dev;
// the torch wheel ships c10d's headers but not Gloo's) -> FTLAB_C10D, set by binding.gyp
// through find-libtorch.cjs. Elsewhere (libtorch 1.13, no headers) every entry but
// distributedInfo throws "not available in this build".

#include "tensor_table.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#ifdef FTLAB_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FTLAB_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef FTLAB_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace {

using ftlab::guarded;

#define DOP(name) Napi::Value name(const Napi::CallbackInfo& info) { return guarded(info, [&]() -> Napi::Value
#define DEND ); }

std::string S(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::String>().Utf8Value(); }
int64_t I(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }

// distributedInfo() -> { gloo, nccl }: what this build can do.
DOP(distributedInfo) {
  auto o = Napi::Object::New(info.Env());
#ifdef FTLAB_C10D_GLOO
  o.Set("gloo", true);
#else
  o.Set("gloo", false);
#endif
#ifdef FTLAB_C10D_NCCL
  o.Set("nccl", true);
#else
  o.Set("nccl", false);
#endif
  return o;
} DEND

#ifdef FTLAB_C10D

struct Group {
  c10::intrusive_ptr<c10d::Store> store;  // the raw store: the caller's keys (work claiming)
  c10::intrusive_ptr<c10d::Backend> pg;
  int rank = 0;
  int size = 1;
  bool nccl = false;
};
std::unique_ptr<Group> g_group;

Group& group() {
  if (!g_group) throw std::runtime_error("no process group: call distInit first");
  return *g_group;
}

void wait(const c10::intrusive_ptr<c10d::Work>& work) {
  if (!work->wait()) throw std::runtime_error("collective did not complete");
}

// Gloo has no AVG: SUM, then divide (NCCL's AVG does the same sum-then-scale).
void allReduceInPlace(at::Tensor& t, const std::string& op) {
  Group& g = group();
  c10d::AllreduceOptions o;
  if (op == "sum" || op == "avg") o.reduceOp = c10d::ReduceOp::SUM;
  else if (op == "max") o.reduceOp = c10d::ReduceOp::MAX;
  else if (op == "min") o.reduceOp = c10d::ReduceOp::MIN;
  else throw std::invalid_argument("allReduce: op must be sum, avg, max or min, got '" + op + "'");
  std::vector<at::Tensor> ts{t};
  wait(g.pg->allreduce(ts, o));
  t.unsafeGetTensorImpl()->bump_version();  // written outside the dispatcher: say so, as in-place ops do
  if (op == "avg") t.div_(g.size);
}

// [n, ...] from each rank -> [size * n, ...] in rank order (same shape on every rank).
at::Tensor allGatherRaw(const at::Tensor& local) {
  Group& g = group();
  at::Tensor x = local.contiguous();
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < g.size; r++) out[0].push_back(torch::empty_like(x));
  std::vector<at::Tensor> in{x};
  wait(g.pg->allgather(out, in));
  return torch::cat(out[0], 0);
}

// All-gather with gradients (as torch.distributed.nn.all_gather): every rank's loss may use
// every rank's rows, so the gradient of this rank's rows is the SUM over ranks of the
// gradients their losses sent to them: all-reduce the incoming gradient, keep our slice.
struct GatherWithGrad : public torch::autograd::Function<GatherWithGrad> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& local) {
    ctx->saved_data["rows"] = local.size(0);
    return allGatherRaw(local.detach());
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    int64_t rows = ctx->saved_data["rows"].toInt();
    at::Tensor g = grads[0].contiguous().clone();
    allReduceInPlace(g, "sum");
    int64_t start = group().rank * rows;
    return {g.slice(0, start, start + rows)};
  }
};

// distInit(backend, host, port, rank, size, timeoutMs, localRank): the TCPStore (rank 0 serves
// it and waits for every rank) and the process group. Throws on a rendezvous timeout.
DOP(distInit) {
  std::string backend = S(info, 0);
  std::string host = S(info, 1);
  int port = static_cast<int>(I(info, 2));
  int rank = static_cast<int>(I(info, 3));
  int size = static_cast<int>(I(info, 4));
  std::chrono::milliseconds timeout(I(info, 5));
  int localRank = static_cast<int>(I(info, 6));
  (void)localRank;  // NCCL only
  if (g_group) throw std::runtime_error("distInit: this process already joined a process group");
  // c10d logs each rendezvous retry and a lost peer with C++ backtraces on stderr; the same
  // failures reach JavaScript as exceptions, which ftlab prints as one line: keep only FATAL.
  FLAGS_caffe2_log_level = std::max(FLAGS_caffe2_log_level, 3);
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = size;
  so.waitWorkers = true;
  so.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(host, so);
  auto g = std::make_unique<Group>();
  g->store = store;
  g->rank = rank;
  g->size = size;
  auto pgStore = c10::make_intrusive<c10d::PrefixStore>("ftlab-pg/", store);
  if (backend == "gloo") {
#ifdef FTLAB_C10D_GLOO
    auto o = c10d::ProcessGroupGloo::Options::create(timeout);
    bool loopback = host == "localhost" || host.rfind("127.", 0) == 0;
    o->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                  : c10d::ProcessGroupGloo::createDefaultDevice());
    g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(pgStore, rank, size, o);
#else
    throw std::runtime_error("the gloo backend is not available in this build (no Gloo headers: apt-get install libgloo-dev)");
#endif
  } else if (backend == "nccl") {
#ifdef FTLAB_C10D_NCCL
    c10::cuda::set_device(static_cast<c10::DeviceIndex>(localRank));
    auto o = c10d::ProcessGroupNCCL::Options::create();
    o->timeout = timeout;
    g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(pgStore, rank, size, o);
    g->nccl = true;
#else
    throw std::runtime_error("the nccl backend is not available in this build (no CUDA libtorch with NCCL headers)");
#endif
  } else {
    throw std::invalid_argument("distInit: backend must be gloo or nccl, got '" + backend + "'");
  }
  g_group = std::move(g);
  return info.Env().Undefined();
} DEND

DOP(distDestroy) {
  g_group.reset();
  return info.Env().Undefined();
} DEND

// distAllReduce(t, op): in place.
DOP(distAllReduce) {
  at::Tensor t = ftlab::tensorArg(info[0]);
  allReduceInPlace(t, S(info, 1));
  return info.Env().Undefined();
} DEND

// distAllReduceMany(ts, op): in place, as one flat buffer (one collective for all gradients).
DOP(distAllReduceMany) {
  auto a = info[0].As<Napi::Array>();
  std::vector<at::Tensor> ts;
  for (uint32_t k = 0; k < a.Length(); k++) ts.push_back(ftlab::tensorArg(a.Get(k)));
  if (ts.empty()) return info.Env().Undefined();
  std::vector<at::Tensor> flat;
  for (auto& t : ts) flat.push_back(t.reshape({-1}));
  at::Tensor buf = torch::cat(flat, 0);
  allReduceInPlace(buf, S(info, 1));
  int64_t at = 0;
  for (auto& t : ts) {
    int64_t n = t.numel();
    t.copy_(buf.slice(0, at, at + n).view(t.sizes()));
    at += n;
  }
  return info.Env().Undefined();
} DEND

// distAllGather(t) -> [size * n, ...]; differentiable when t requires grad.
DOP(distAllGather) {
  const at::Tensor& t = ftlab::tensorArg(info[0]);
  if (t.requires_grad() && torch::GradMode::is_enabled())
    return ftlab::wrapTensor(info.Env(), GatherWithGrad::apply(t));
  return ftlab::wrapTensor(info.Env(), allGatherRaw(t));
} DEND

// distBroadcast(t, root): in place.
DOP(distBroadcast) {
  at::Tensor t = ftlab::tensorArg(info[0]);
  c10d::BroadcastOptions o;
  o.rootRank = static_cast<int>(I(info, 1));
  std::vector<at::Tensor> ts{t};
  wait(group().pg->broadcast(ts, o));
  t.unsafeGetTensorImpl()->bump_version();  // written outside the dispatcher (prepacked copies watch the counter)
  return info.Env().Undefined();
} DEND

DOP(distBarrier) {
  wait(group().pg->barrier());
  return info.Env().Undefined();
} DEND

// The store, for coordination beyond tensors (claiming work units).
DOP(storeSet) {
  std::string v = S(info, 1);
  group().store->set(S(info, 0), std::vector<uint8_t>(v.begin(), v.end()));
  return info.Env().Undefined();
} DEND

// storeGet(key): waits for the key up to the store's timeout.
DOP(storeGet) {
  auto v = group().store->get(S(info, 0));
  return Napi::String::New(info.Env(), std::string(v.begin(), v.end()));
} DEND

DOP(storeAdd) {
  return Napi::Number::New(info.Env(), static_cast<double>(group().store->add(S(info, 0), I(info, 1))));
} DEND

DOP(storeCheck) {
  return Napi::Boolean::New(info.Env(), group().store->check({S(info, 0)}));
} DEND

#else

Napi::Value unavailable(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(),
                         "distributed ops are not available in this build (it needs libtorch 2.x and Gloo's headers: "
                         "apt-get install libgloo-dev, then npm run build:native)");
}
#define distInit unavailable
#define distDestroy unavailable
#define distAllReduce unavailable
#define distAllReduceMany unavailable
#define distAllGather unavailable
#define distBroadcast unavailable
#define distBarrier unavailable
#define storeSet unavailable
#define storeGet unavailable
#define storeAdd unavailable
#define storeCheck unavailable

#endif

}  // namespace

namespace ftlab {
#define DEXPORT(name) exports.Set(#name, Napi::Function::New(env, name, #name))
void registerDistributed(Napi::Env env, Napi::Object exports) {
  DEXPORT(distributedInfo);
  DEXPORT(distInit); DEXPORT(distDestroy); DEXPORT(distAllReduce); DEXPORT(distAllReduceMany);
  DEXPORT(distAllGather); DEXPORT(distBroadcast); DEXPORT(distBarrier);
  DEXPORT(storeSet); DEXPORT(storeGet); DEXPORT(storeAdd); DEXPORT(storeCheck);
}
}  // namespace ftlab
