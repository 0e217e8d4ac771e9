// The oneDNN backend of ops/matmul (internal to ops/): one matmul primitive
// per weight matrix with M left to run time, the weights used in place
// (prepacked into a copy only if oneDNN refused their plain layout). Built only where Debian has
// oneDNN with a real GEMM (x86_64); elsewhere matmul_onednn_none.cc says it
// is unavailable and the Highway backend serves every shape.
#pragma once

#include <stddef.h>

#include <memory>
#include <string>

namespace edgeseq::ops {

class OneDnnGemm {
 public:
  // Whether this build has the oneDNN backend.
  static bool Available();
  // "onednn:<isa>", or "none".
  static std::string Name();
  // See Int8ActivationMax() in matmul.h (255 when unavailable).
  static int Int8ActivationMax();

  // w [n, k] row-major: f32, or s8 (int8 = true: u8 activations, s32 out).
  // nullptr when unavailable.
  static std::unique_ptr<OneDnnGemm> Create(const void* w, size_t n, size_t k, bool int8);
  ~OneDnnGemm();

  size_t scratch_bytes() const;
  bool weights_copied() const;
  // dst[m, n] = src[m, k]·Wᵀ (f32 → f32, or u8 → s32). scratch: scratch_bytes().
  void Run(const void* src, size_t m, void* dst, void* scratch) const;

 private:
  OneDnnGemm();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeseq::ops
