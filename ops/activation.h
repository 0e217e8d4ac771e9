// Bias + activation over rows of a row-major [rows, cols] f32 matrix.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace edgeseq::ops {

enum class Activation : uint8_t {
  kNone = 0,
  kReLU = 1,
  kGeluErf = 2,   // 0.5·x·(1 + erf(x/√2)), PyTorch's default GELU
  kGeluTanh = 3,  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  kSiLU = 4,      // x·sigmoid(x)
};

// Name for messages ("relu", "gelu", ...).
const char* ActivationName(Activation act);

// x[r, c] = act(x[r, c] + bias[c]) in place, for r < rows, c < cols.
// bias: [cols] or nullptr. Any alignment, any cols (including 0).
// Error bound against the scalar reference (std::erf / std::tanh / std::exp):
// ReLU and kNone exact; GELU (both) and SiLU within 2e-6·(1 + |x|) absolute.
// Valid for all finite x; NaN propagates.
void BiasActivation(float* x, size_t rows, size_t cols, const float* bias,
                    Activation act);

}  // namespace edgeseq::ops
