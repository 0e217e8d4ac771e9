// ops/matmul, on each backend the build has (Highway always, oneDNN on x86):
// f32 against a naive loop, int8 against an exact integer reference
// (including the 16-bit-saturation worst case) and against f32 with the
// documented bound; reuse without allocation; many threads.
#include "ops/matmul.h"

#include <gtest/gtest.h>
#include <math.h>
#include <stdlib.h>

#include <omp.h>

#include <memory>
#include <thread>

#if EDGESEQ_HAVE_ONEDNN
#include "oneapi/dnnl/dnnl.hpp"
#endif
#include "ops/quantize.h"
#include "ops/reference.h"
#include "tests/alloc_counter.h"
#include "tests/ops/test_util.h"

namespace edgeseq::ops {
namespace {

struct AlignedDeleter {
  void operator()(void* p) const { free(p); }
};

// Scratch sized the way a Workspace does it: once, for the largest M.
class Scratch {
 public:
  Scratch(const Matmul& mm, size_t max_m) {
    bytes_ = (mm.ScratchBytes(max_m) + 63) / 64 * 64 + 64;
    mem_.reset(aligned_alloc(64, bytes_));
  }
  MatmulScratch get() const { return {mem_.get(), bytes_}; }

 private:
  std::unique_ptr<void, AlignedDeleter> mem_;
  size_t bytes_;
};

struct Shape {
  size_t m, k, n;
};
const Shape kShapes[] = {{1, 1, 1},    {1, 7, 3},     {3, 64, 65},  {16, 512, 512}, {17, 1000, 17},
                         {1, 512, 2048}, {5, 2048, 512}, {64, 63, 129}, {2, 4099, 3}};

TEST(MatmulF32, MatchesNaiveLoop) {
  for (const Shape& s : kShapes) {
    const auto xv = test::RandomFloats(s.m * s.k, 1);
    const auto w = test::RandomFloats(s.n * s.k, 2);
    const auto bias = test::RandomFloats(s.n, 3);
    // The reference and each output's magnitude Σ|x_k·w_k| (+|b|), once per
    // shape: the tolerance is relative to it.
    std::vector<float> plain(s.m * s.n);
    ref::MatmulF32(xv.data(), s.m, s.k, w.data(), s.n, nullptr, plain.data());
    std::vector<double> mag(s.m * s.n, 0.0);
    for (size_t i = 0; i < mag.size(); ++i) {
      for (size_t kk = 0; kk < s.k; ++kk) mag[i] += fabs(xv[(i / s.n) * s.k + kk] * w[(i % s.n) * s.k + kk]);
    }
    for (int variant = 0; variant < 4; ++variant) {  // bias or not × oneDNN or Highway
      if (!(variant & 2) && !MatmulHasOneDnn()) continue;
      const bool with_bias = variant & 1;
      const float* b = with_bias ? bias.data() : nullptr;
      Matmul mm = Matmul::CreateF32(w.data(), s.n, s.k, b);
      mm.set_f32_highway_max_rows(variant & 2 ? SIZE_MAX : 0);
      ASSERT_EQ(mm.UsesHighway(s.m), (variant & 2) != 0 || !MatmulHasOneDnn());
      ASSERT_EQ(mm.n(), s.n);
      ASSERT_EQ(mm.k(), s.k);
      Scratch scratch(mm, s.m);
      for (size_t off : test::Misalignments()) {
        test::Buffer<float> x(s.m * s.k, off), y(s.m * s.n, off);
        x.CopyFrom(xv);
        for (Activation act : {Activation::kNone, Activation::kReLU, Activation::kGeluErf}) {
          mm.Forward(x.data(), s.m, y.data(), act, scratch.get());
          std::vector<float> want(plain);
          ref::BiasActivation(want.data(), s.m, s.n, b, act);
          for (size_t i = 0; i < want.size(); ++i) {
            const double tol = 1e-5 * (mag[i] + (b ? fabs(b[i % s.n]) : 0.0)) + 1e-7;
            ASSERT_NEAR(y[i], want[i], tol) << "m=" << s.m << " k=" << s.k << " n=" << s.n << " i=" << i
                                            << " variant=" << variant << " off=" << off;
          }
        }
      }
    }
  }
}

// Both int8 paths: oneDNN (highway_max_rows 0) and Highway (SIZE_MAX).
const size_t kInt8Paths[] = {0, SIZE_MAX};
const char* PathName(size_t rows) { return rows == 0 ? "onednn" : "highway"; }

void RunExactInt8OnPath(size_t m, size_t k, size_t n, const std::vector<float>& x,
                        const std::vector<int8_t>& w, const char* what, size_t path) {
  const std::vector<float> ones(n, 1.0f);
  Matmul mm = Matmul::CreateInt8(w.data(), ones.data(), n, k, nullptr);
  mm.set_int8_highway_max_rows(path);
  ASSERT_TRUE(mm.is_int8());
  Scratch scratch(mm, m);
  std::vector<float> y(m * n);
  mm.Forward(x.data(), m, y.data(), Activation::kNone, scratch.get());
  std::vector<uint8_t> xq(m * k);
  for (size_t i = 0; i < xq.size(); ++i) xq[i] = static_cast<uint8_t>(x[i]);
  std::vector<int32_t> want(m * n);
  ref::MatmulU8S8(xq.data(), m, k, w.data(), n, want.data());
  size_t wrong = 0;
  for (size_t i = 0; i < want.size(); ++i) wrong += y[i] != static_cast<float>(want[i]);
  EXPECT_EQ(wrong, 0u) << what << " on " << PathName(path) << ": " << wrong << " of " << want.size()
                       << " outputs differ from the exact integer result; first: " << y[0]
                       << " vs " << want[0];
}

// Integer-valued activations in [0, qmax] with both ends present quantize to
// themselves (scale 1, zero point 0); with weight scales of 1 the int8 path's
// output is the exact integer dot product, as long as it stays below 2^24.
void RunExactInt8(size_t m, size_t k, size_t n, const std::vector<float>& x,
                  const std::vector<int8_t>& w, const char* what) {
  for (size_t path : kInt8Paths) {
    if (path == 0 && !MatmulHasOneDnn()) continue;
    RunExactInt8OnPath(m, k, n, x, w, what, path);
  }
}

TEST(MatmulInt8, WorstCaseForSixteenBitSaturationIsExact) {
  // The case that breaks u8 x s8 GEMMs summing pairs in saturating 16-bit
  // lanes: every activation at the top of its range, every weight at ±127.
  const int qmax = Int8ActivationMax();
  const size_t m = 4, k = 512, n = 64;
  std::vector<float> x(m * k, static_cast<float>(qmax));
  for (int sign : {1, -1}) {
    std::vector<int8_t> w(n * k, static_cast<int8_t>(127 * sign));
    RunExactInt8(m, k, n, x, w, sign > 0 ? "all +127" : "all -127");
  }
  // Expected value spelled out for the first case: qmax·127·512.
  std::vector<int8_t> w(n * k, 127);
  const std::vector<float> ones(n, 1.0f);
  Matmul mm = Matmul::CreateInt8(w.data(), ones.data(), n, k, nullptr);
  Scratch scratch(mm, 1);
  std::vector<float> y(n);
  mm.Forward(x.data(), 1, y.data(), Activation::kNone, scratch.get());
  EXPECT_EQ(y[0], static_cast<float>(qmax * 127 * 512));
}

// Narrow weights (the converter's 7-bit default): all 8 bits of activation,
// exact on every path, oneDNN without VNNI included.
TEST(MatmulInt8, NarrowWeightsTakeAllEightBitsExactly) {
  const size_t m = 4, k = 512, n = 64;
  std::vector<float> x(m * k, 255.0f);
  for (size_t r = 0; r < m; ++r) x[r * k] = 0.0f;  // range [0, 255]: scale 1
  for (int sign : {1, -1}) {
    std::vector<int8_t> w(n * k, static_cast<int8_t>(kNarrowWeightMax * sign));
    RunExactInt8(m, k, n, x, w, sign > 0 ? "all +64" : "all -64");
  }
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> xa(0, 255), wa(-kNarrowWeightMax, kNarrowWeightMax);
  for (const Shape& s : {Shape{1, 512, 256}, Shape{16, 512, 512}, Shape{7, 1000, 33}, Shape{24, 2048, 40}}) {
    std::vector<float> xr(s.m * s.k);
    for (float& v : xr) v = static_cast<float>(xa(rng));
    for (size_t r = 0; r < s.m; ++r) {
      xr[r * s.k] = 0.0f;
      xr[r * s.k + s.k - 1] = 255.0f;
    }
    std::vector<int8_t> w(s.n * s.k);
    for (int8_t& v : w) v = static_cast<int8_t>(wa(rng));
    w[0] = static_cast<int8_t>(kNarrowWeightMax);
    RunExactInt8(s.m, s.k, s.n, xr, w, "random narrow");
    const std::vector<float> ones(s.n, 1.0f);
    EXPECT_EQ(Matmul::CreateInt8(w.data(), ones.data(), s.n, s.k, nullptr).activation_max(), 255);
  }
  // One weight beyond the narrow range: back to the safe activation range.
  std::vector<int8_t> w(n * k, 1);
  w[5] = static_cast<int8_t>(kNarrowWeightMax + 1);
  const std::vector<float> ones(n, 1.0f);
  EXPECT_EQ(Matmul::CreateInt8(w.data(), ones.data(), n, k, nullptr).activation_max(), Int8ActivationMax());
}

TEST(MatmulInt8, RandomFullRangeIsExact) {
  const int qmax = Int8ActivationMax();
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> xa(0, qmax), wa(-127, 127);
  for (const Shape& s : {Shape{1, 512, 256}, Shape{16, 512, 512}, Shape{7, 1000, 33}, Shape{3, 1, 5}}) {
    std::vector<float> x(s.m * s.k);
    for (float& v : x) v = static_cast<float>(xa(rng));
    for (size_t r = 0; r < s.m; ++r) {  // pin the range so the scale is 1
      x[r * s.k] = 0.0f;
      x[r * s.k + s.k - 1] = static_cast<float>(qmax);
    }
    std::vector<int8_t> w(s.n * s.k);
    for (int8_t& v : w) v = static_cast<int8_t>(wa(rng));
    RunExactInt8(s.m, s.k, s.n, x, w, "random");
  }
}

TEST(MatmulInt8, WithinDocumentedBoundOfF32) {
  for (const Shape& s : kShapes) {
    const auto x = test::RandomFloats(s.m * s.k, 11, -3.0f, 5.0f);
    const auto wf = test::RandomFloats(s.n * s.k, 12, -0.2f, 0.2f);
    const auto bias = test::RandomFloats(s.n, 13);
    std::vector<int8_t> wq(wf.size());
    std::vector<float> ws(s.n), wdq(wf.size());
    QuantizeRowsS8(wf.data(), s.n, s.k, wq.data(), ws.data());
    DequantizeRowsS8(wq.data(), ws.data(), s.n, s.k, wdq.data());
    Matmul mm = Matmul::CreateInt8(wq.data(), ws.data(), s.n, s.k, bias.data());
    Scratch scratch(mm, s.m);
    std::vector<float> y(s.m * s.n), y_other(s.m * s.n), want(s.m * s.n);
    mm.Forward(x.data(), s.m, y.data(), Activation::kNone, scratch.get());
    // The two int8 paths compute the same exact integers: identical outputs.
    mm.set_int8_highway_max_rows(s.m <= Matmul::Int8HighwayMaxRows() ? 0 : SIZE_MAX);
    mm.Forward(x.data(), s.m, y_other.data(), Activation::kNone, scratch.get());
    ASSERT_EQ(y, y_other) << "oneDNN and Highway int8 paths differ, m=" << s.m << " k=" << s.k;
    ref::MatmulF32(x.data(), s.m, s.k, wdq.data(), s.n, bias.data(), want.data());
    // The bound from matmul.h: Σ_k |W[n,k]|·x_scale[m]/2, plus f32 rounding.
    std::vector<uint8_t> xq(x.size());
    std::vector<float> xs(s.m);
    std::vector<int32_t> xz(s.m);
    QuantizeRowsU8(x.data(), s.m, s.k, Int8ActivationMax(), xq.data(), xs.data(), xz.data());
    double worst_ratio = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      const size_t r = i / s.n, c = i % s.n;
      double wabs = 0, mag = fabs(bias[c]);
      for (size_t kk = 0; kk < s.k; ++kk) {
        wabs += fabs(wdq[c * s.k + kk]);
        mag += fabs(wdq[c * s.k + kk] * x[r * s.k + kk]);
      }
      const double bound = wabs * xs[r] / 2 + 1e-5 * mag + 1e-6;
      ASSERT_LE(fabs(y[i] - want[i]), bound) << "m=" << s.m << " k=" << s.k << " n=" << s.n;
      worst_ratio = fmax(worst_ratio, fabs(y[i] - want[i]) / bound);
    }
    RecordProperty("worst_error_to_bound_" + std::to_string(s.k) + "x" + std::to_string(s.n),
                   std::to_string(worst_ratio));
  }
}

#if EDGESEQ_HAVE_ONEDNN
// oneDNN 2.6 allocates inside every primitive execution (its execution
// context keeps the arguments in a hash map; its int8 GEMM driver also takes
// packing buffers from the heap): a bare execute of a plain matmul primitive
// of the same data types, measured here, is the floor any oneDNN call pays.
size_t OneDnnAllocationsPerExecute(bool int8) {
  using namespace dnnl;
  using dt = memory::data_type;
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  const memory::dim M = 16, K = 512, N = 512;
  std::vector<float> x(M * K), w(K * N), y(M * N);  // big enough for any type
  const memory::desc xd({M, K}, int8 ? dt::u8 : dt::f32, memory::format_tag::ab);
  const memory::desc wd({K, N}, int8 ? dt::s8 : dt::f32, memory::format_tag::ba);
  const memory::desc yd({M, N}, int8 ? dt::s32 : dt::f32, memory::format_tag::ab);
  matmul prim(matmul::primitive_desc(matmul::desc(xd, wd, yd), eng));
  memory xm(xd, eng, x.data()), wm(wd, eng, w.data()), ym(yd, eng, y.data());
  const dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, xm.get()}, {DNNL_ARG_WEIGHTS, wm.get()},
                                  {DNNL_ARG_DST, ym.get()}};
  dnnl_primitive_execute(prim.get(), strm.get(), 3, args);
  test::StartCountingAllocations();
  for (int i = 0; i < 10; ++i) dnnl_primitive_execute(prim.get(), strm.get(), 3, args);
  return (test::StopCountingAllocations() + 9) / 10;
}
#else
size_t OneDnnAllocationsPerExecute(bool) { return 0; }  // no oneDNN: nothing may allocate
#endif

// After warm-up, Forward allocates nothing of its own: no primitive, no memory
// object, no buffer; only what oneDNN's execute itself allocates.
TEST(Matmul, RepeatedForwardAllocatesNothingBeyondOneDnnExecute) {
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  const size_t k = 512, n = 512, max_m = 16;
  const auto wf = test::RandomFloats(n * k, 21);
  std::vector<int8_t> wq(n * k);
  std::vector<float> ws(n);
  QuantizeRowsS8(wf.data(), n, k, wq.data(), ws.data());
  const auto x = test::RandomFloats(max_m * k, 22);
  std::vector<float> y(max_m * n);
  for (bool int8 : {false, true}) {
    Matmul mm = int8 ? Matmul::CreateInt8(wq.data(), ws.data(), n, k, nullptr)
                     : Matmul::CreateF32(wf.data(), n, k, nullptr);
    const size_t floor = OneDnnAllocationsPerExecute(int8);
    RecordProperty(int8 ? "onednn_int8_allocations_per_execute" : "onednn_f32_allocations_per_execute",
                   static_cast<int>(floor));
    Scratch scratch(mm, max_m);
    // Warm-up: the first call with each M may create cached objects.
    for (size_t m : {size_t{1}, max_m}) mm.Forward(x.data(), m, y.data(), Activation::kReLU, scratch.get());
    const int calls = 40;
    test::StartCountingAllocations();
    for (int step = 0; step < calls / 2; ++step) {
      for (size_t m : {size_t{1}, max_m}) mm.Forward(x.data(), m, y.data(), Activation::kReLU, scratch.get());
    }
    const size_t allocs = test::StopCountingAllocations();
    EXPECT_LE(allocs, floor * calls) << (int8 ? "int8" : "f32") << ": " << allocs << " allocations in "
                                     << calls << " warm calls; oneDNN's execute alone makes " << floor;
    // The decode case (one row) takes the Highway path: nothing at all.
    test::StartCountingAllocations();
    for (int step = 0; step < calls; ++step) mm.Forward(x.data(), 1, y.data(), Activation::kReLU, scratch.get());
    EXPECT_EQ(test::StopCountingAllocations(), 0u) << (int8 ? "int8" : "f32") << " M = 1 calls allocated";
  }
}

TEST(Matmul, ManyThreadsShareOneMatmul) {
  const size_t k = 256, n = 128, m = 8;
  const auto wf = test::RandomFloats(n * k, 31);
  std::vector<int8_t> wq(n * k);
  std::vector<float> ws(n);
  QuantizeRowsS8(wf.data(), n, k, wq.data(), ws.data());
  for (bool int8 : {false, true}) {
    Matmul mm = int8 ? Matmul::CreateInt8(wq.data(), ws.data(), n, k, nullptr)
                     : Matmul::CreateF32(wf.data(), n, k, nullptr);
    std::vector<std::vector<float>> inputs, outputs(4, std::vector<float>(m * n));
    for (uint32_t t = 0; t < 4; ++t) inputs.push_back(test::RandomFloats(m * k, 40 + t));
    std::vector<std::thread> threads;
    for (size_t t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        Scratch scratch(mm, m);
        for (int rep = 0; rep < 20; ++rep) {
          mm.Forward(inputs[t].data(), m, outputs[t].data(), Activation::kNone, scratch.get());
        }
      });
    }
    for (auto& th : threads) th.join();
    Scratch scratch(mm, m);
    for (size_t t = 0; t < 4; ++t) {
      std::vector<float> alone(m * n);
      mm.Forward(inputs[t].data(), m, alone.data(), Activation::kNone, scratch.get());
      EXPECT_EQ(alone, outputs[t]) << (int8 ? "int8" : "f32") << " thread " << t;
    }
  }
}

// The Highway GEMMs split output columns (never a sum) across threads, so
// results are bit-identical whatever the thread count.
TEST(Matmul, HighwayResultsDoNotDependOnTheThreadCount) {
  const size_t m = 8, k = 512, n = 1024;  // 4M multiply-adds: above the split threshold
  const auto wf = test::RandomFloats(n * k, 51);
  std::vector<int8_t> wq(n * k);
  std::vector<float> ws(n);
  QuantizeRowsS8(wf.data(), n, k, wq.data(), ws.data());
  const auto x = test::RandomFloats(m * k, 52);
  for (bool int8 : {false, true}) {
    Matmul mm = int8 ? Matmul::CreateInt8(wq.data(), ws.data(), n, k, nullptr)
                     : Matmul::CreateF32(wf.data(), n, k, nullptr);
    mm.set_int8_highway_max_rows(SIZE_MAX);
    mm.set_f32_highway_max_rows(SIZE_MAX);
    Scratch scratch(mm, m);
    std::vector<float> y1(m * n), y2(m * n), y3(m * n);
    omp_set_num_threads(1);
    mm.Forward(x.data(), m, y1.data(), Activation::kNone, scratch.get());
    omp_set_num_threads(2);
    mm.Forward(x.data(), m, y2.data(), Activation::kNone, scratch.get());
    omp_set_num_threads(3);
    mm.Forward(x.data(), m, y3.data(), Activation::kNone, scratch.get());
    omp_set_num_threads(1);
    EXPECT_EQ(y1, y2) << (int8 ? "int8" : "f32") << ": 1 vs 2 threads";
    EXPECT_EQ(y1, y3) << (int8 ? "int8" : "f32") << ": 1 vs 3 threads";
  }
}

// The model's weights are used where they are mapped: a prepacked copy would
// double a model's memory (the shapes of the bench and G2P models, odd ones).
TEST(Matmul, WeightsAreUsedInPlace) {
  for (const auto& [n, k] : std::vector<std::pair<size_t, size_t>>{{512, 512}, {2048, 512}, {512, 2048}, {1536, 512},
                                                                     {32000, 512}, {37, 19}, {3, 1}}) {
    std::vector<int8_t> wq(n * k, 3);
    std::vector<float> ws(n, 0.5f), wf(n * k, 0.25f);
    EXPECT_FALSE(Matmul::CreateInt8(wq.data(), ws.data(), n, k, nullptr).weights_copied()) << n << "x" << k;
    EXPECT_FALSE(Matmul::CreateF32(wf.data(), n, k, nullptr).weights_copied()) << n << "x" << k;
  }
}

TEST(Matmul, RejectsBadArguments) {
  const std::vector<float> w(12, 1.0f);
  EXPECT_THROW(Matmul::CreateF32(nullptr, 3, 4, nullptr), std::invalid_argument);
  EXPECT_THROW(Matmul::CreateF32(w.data(), 0, 4, nullptr), std::invalid_argument);
  const std::vector<int8_t> wq(12, 1);
  EXPECT_THROW(Matmul::CreateInt8(wq.data(), nullptr, 3, 4, nullptr), std::invalid_argument);
  Matmul mm = Matmul::CreateF32(w.data(), 3, 4, nullptr);
  std::vector<float> x(8), y(6);
  alignas(64) static unsigned char tiny[64];
  if (mm.ScratchBytes(2) > 0) {
    EXPECT_THROW(mm.Forward(x.data(), 2, y.data(), Activation::kNone, {tiny, 0}), std::invalid_argument);
  }
  Matmul mq = Matmul::CreateInt8(wq.data(), w.data(), 3, 4, nullptr);
  EXPECT_THROW(mq.Forward(x.data(), 2, y.data(), Activation::kNone, {tiny, sizeof(tiny) / 8}),
               std::invalid_argument);
}

}  // namespace
}  // namespace edgeseq::ops
