// edgeseq-selfcheck: prints the CPU features, the Highway targets (compiled,
// runnable, chosen) and the matmul backend, then runs each kernel once against
// its scalar reference and says whether they agree.
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include "ops/activation.h"
#include "ops/cpu_info.h"
#include "ops/matmul.h"
#include "ops/mel.h"
#include "ops/norm.h"
#include "ops/reference.h"
#include "ops/softmax.h"
#include "ops/threads.h"

namespace {

using namespace edgeseq::ops;

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s.empty() ? "-" : s;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) m = fmaxf(m, fabsf(a[i] - b[i]));
  return m;
}

bool Report(const char* name, float diff, float bound) {
  const bool ok = diff <= bound;
  printf("  %-22s max |diff| %.3g (bound %.3g)  %s\n", name, diff, bound, ok ? "ok" : "FAIL");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    printf("usage: edgeseq-selfcheck\n"
           "Prints the CPU features, Highway targets and matmul backend, then checks\n"
           "each kernel once against its scalar reference. Exit status 1 if any differ.\n");
    return 0;
  }
  const CpuInfo info = GetCpuInfo();
  printf("arch:                 %s\n", info.arch.c_str());
  printf("cpu features:         %s\n", Join(info.features).c_str());
  printf("highway compiled:     %s\n", Join(info.hwy_compiled).c_str());
  printf("highway runnable:     %s\n", Join(info.hwy_supported).c_str());
  printf("highway chosen:       %s\n", info.hwy_chosen.c_str());
  printf("matmul backend:       %s\n", info.matmul_backend.c_str());
  printf("threads:              %d (physical cores %d; OMP_NUM_THREADS overrides)\n", edgeseq::ops::Threads(),
         edgeseq::ops::PhysicalCores());
  printf("int8 activation max:  %d%s\n", info.int8_activation_max,
         info.int8_activation_max < 255 ? " (no VNNI: 7-bit activations avoid 16-bit saturation)" : "");

  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto random = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
  };
  const size_t rows = 7, cols = 515;
  bool ok = true;
  printf("kernels vs scalar reference (%zu x %zu):\n", rows, cols);
  {
    auto a = random(rows * cols), b = a;
    Softmax(a.data(), rows, cols, 0.125f);
    ref::Softmax(b.data(), rows, cols, 0.125f);
    ok &= Report("softmax", MaxAbsDiff(a, b), 1e-5f);
  }
  {
    auto x = random(rows * cols), g = random(cols), be = random(cols);
    std::vector<float> a(x.size()), b(x.size());
    LayerNorm(x.data(), rows, cols, g.data(), be.data(), 1e-5f, a.data());
    ref::LayerNorm(x.data(), rows, cols, g.data(), be.data(), 1e-5f, b.data());
    ok &= Report("layer_norm", MaxAbsDiff(a, b), 1e-4f);
  }
  {
    auto a = random(rows * cols), b = a, bias = random(cols);
    BiasActivation(a.data(), rows, cols, bias.data(), Activation::kGeluErf);
    ref::BiasActivation(b.data(), rows, cols, bias.data(), Activation::kGeluErf);
    ok &= Report("bias_gelu", MaxAbsDiff(a, b), 1e-5f);
  }
  {
    const size_t m = 3, k = 512, n = 64;
    auto x = random(m * k), w = random(n * k);
    std::vector<float> y(m * n), r(m * n);
    Matmul mm = Matmul::CreateF32(w.data(), n, k, nullptr);
    const size_t bytes = (mm.ScratchBytes(m) + 63) / 64 * 64 + 64;
    void* mem = aligned_alloc(64, bytes);
    mm.Forward(x.data(), m, y.data(), Activation::kNone, {mem, bytes});
    free(mem);
    ref::MatmulF32(x.data(), m, k, w.data(), n, nullptr, r.data());
    ok &= Report("matmul_f32", MaxAbsDiff(y, r), 1e-3f);
  }
  {
    // int8 on both paths (Highway for 1 row, oneDNN for 16) against the exact
    // integer product: activations already on the integer grid [0, qmax].
    const int qmax = Int8ActivationMax();
    const size_t k = 512, n = 64;
    std::vector<int8_t> w(n * k);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    const std::vector<float> ones(n, 1.0f);
    Matmul mm = Matmul::CreateInt8(w.data(), ones.data(), n, k, nullptr);
    for (size_t m : {size_t{1}, size_t{16}}) {
      std::vector<float> x(m * k), y(m * n), want(m * n);
      std::vector<uint8_t> xq(m * k);
      for (size_t i = 0; i < x.size(); ++i) {
        xq[i] = static_cast<uint8_t>(i % k == 0 ? 0 : (i % k == 1 ? qmax : i * 13 % (qmax + 1)));
        x[i] = xq[i];
      }
      const size_t bytes = (mm.ScratchBytes(m) + 63) / 64 * 64;
      void* mem = aligned_alloc(64, bytes);
      mm.Forward(x.data(), m, y.data(), Activation::kNone, {mem, bytes});
      free(mem);
      std::vector<int32_t> acc(m * n);
      ref::MatmulU8S8(xq.data(), m, k, w.data(), n, acc.data());
      for (size_t i = 0; i < acc.size(); ++i) want[i] = static_cast<float>(acc[i]);
      ok &= Report(m == 1 ? "matmul_int8 (1 row)" : "matmul_int8 (16 rows)", MaxAbsDiff(y, want), 0.0f);
    }
  }
  {
    // Whisper's log-mel kernels (ops/mel.h) on one frame block: |X|² of 201
    // bins, a dense non-negative filter bank (sums of ~100), log10 with the floor.
    const size_t bins = 201, frames = 7, mels = 5;
    auto re_im = random(2 * bins);
    std::vector<float> p(bins), pr(bins);
    PowerSpectrum(re_im.data(), bins, p.data());
    ref::PowerSpectrum(re_im.data(), bins, pr.data());
    ok &= Report("mel_power", MaxAbsDiff(p, pr), 1e-5f);
    auto power = random(frames * bins), filters = random(mels * bins);
    for (float& v : power) v = fabsf(v);
    for (float& v : filters) v = fabsf(v);
    std::vector<float> a(mels * frames), b(mels * frames);
    MelFilterBank(power.data(), frames, bins, filters.data(), mels, a.data(), frames);
    ref::MelFilterBank(power.data(), frames, bins, filters.data(), mels, b.data(), frames);
    ok &= Report("mel_filter_bank", MaxAbsDiff(a, b), 1e-3f);
    const float max_a = Log10Clamped(a.data(), a.size()), max_b = ref::Log10Clamped(b.data(), b.size());
    ok &= Report("mel_log10", fmaxf(MaxAbsDiff(a, b), fabsf(max_a - max_b)), 1e-5f);
  }
  printf("%s\n", ok ? "selfcheck: ok" : "selfcheck: FAILED");
  return ok ? 0 : 1;
}
