// execve(2) for Node, which has no exec of its own before Node 23: ftlab restarts itself in
// place with an allocator preloaded (src/engine/allocator.ts). In place means the same process:
// its pid, parent, process group, terminal and open stdio stay, so signals, launchers (torchrun,
// srun, ftlab launch) and kill tests see one process, not a wrapper and its child.
// No libtorch here: the restart happens before the engine loads.
#include <napi.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<std::string> strings(const Napi::Array& a) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& s) {
  std::vector<char*> out;
  for (auto& x : s) out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

/** execve(path, argv, env[, channelFd]): returns only on failure, throwing errno's message. */
Napi::Value Exec(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto argv = strings(info[1].As<Napi::Array>());
  auto env = strings(info[2].As<Napi::Array>());
  // Node marks the descriptors it inherited close-on-exec (stdout among them): keep stdio and
  // the IPC channel of a parent's fork() (NODE_CHANNEL_FD) open across the exec
  std::vector<int> keep = {0, 1, 2};
  if (info.Length() > 3 && info[3].IsNumber()) keep.push_back(info[3].As<Napi::Number>().Int32Value());
  for (int fd : keep) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  auto a = pointers(argv);
  auto e = pointers(env);
  execve(path.c_str(), a.data(), e.data());
  throw Napi::Error::New(info.Env(), std::string("execve ") + path + ": " + std::strerror(errno));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("execve", Napi::Function::New(env, Exec, "execve"));
  return exports;
}

}  // namespace

NODE_API_MODULE(ftlab_exec, Init)
