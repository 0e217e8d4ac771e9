// What the kernels will run on: CPU features, the Highway targets compiled in
// and the one dynamic dispatch picks, and the matmul backend.
#pragma once

#include <string>
#include <vector>

namespace edgeseq::ops {

struct CpuInfo {
  std::string arch;                          // "x86_64", "aarch64", ...
  std::vector<std::string> features;         // relevant CPU features present
  std::vector<std::string> hwy_compiled;     // Highway targets compiled in
  std::vector<std::string> hwy_supported;    // ... of those, runnable here
  std::string hwy_chosen;                    // the one dynamic dispatch uses
  std::string matmul_backend;                // e.g. "onednn:avx2"
  int int8_activation_max = 0;               // see Int8ActivationMax()
};

CpuInfo GetCpuInfo();

}  // namespace edgeseq::ops
