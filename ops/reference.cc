#include "ops/reference.h"

#include <math.h>

#include <algorithm>
#include <limits>

namespace edgeseq::ops::ref {

float Activate(float x, Activation act) {
  switch (act) {
    case Activation::kNone: return x;
    case Activation::kReLU: return x > 0.0f ? x : 0.0f;
    case Activation::kGeluErf:
      return static_cast<float>(0.5 * x * (1.0 + erf(x / sqrt(2.0))));
    case Activation::kGeluTanh: {
      const double xd = x;
      const double inner = sqrt(2.0 / M_PI) * (xd + 0.044715 * xd * xd * xd);
      return static_cast<float>(0.5 * xd * (1.0 + tanh(inner)));
    }
    case Activation::kSiLU: return static_cast<float>(x / (1.0 + exp(-static_cast<double>(x))));
  }
  return x;
}

void BiasActivation(float* x, size_t rows, size_t cols, const float* bias,
                    Activation act) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      float& v = x[r * cols + c];
      v = Activate(bias ? v + bias[c] : v, act);
    }
  }
}

void Softmax(float* x, size_t rows, size_t cols, float scale,
             const SoftmaxMask& mask) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    const size_t n = mask.causal ? std::min(cols, r + mask.causal_offset + 1) : cols;
    float max = kNegInf;
    for (size_t c = 0; c < n; ++c) {
      row[c] = row[c] * scale + (mask.additive ? mask.additive[c] : 0.0f);
      max = std::max(max, row[c]);
    }
    for (size_t c = n; c < cols; ++c) row[c] = 0.0f;
    if (max == kNegInf) {
      for (size_t c = 0; c < n; ++c) row[c] = 0.0f;
      continue;
    }
    double sum = 0.0;
    for (size_t c = 0; c < n; ++c) sum += exp(static_cast<double>(row[c]) - max);
    for (size_t c = 0; c < n; ++c) {
      row[c] = static_cast<float>(exp(static_cast<double>(row[c]) - max) / sum);
    }
  }
}

void LogSoftmax(float* x, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    if (cols == 0) continue;
    const double max = *std::max_element(row, row + cols);
    double sum = 0.0;
    for (size_t c = 0; c < cols; ++c) sum += exp(row[c] - max);
    const double lse = max + log(sum);
    for (size_t c = 0; c < cols; ++c) row[c] = static_cast<float>(row[c] - lse);
  }
}

static void NormRow(const float* x, size_t n, NormKind kind, const float* gamma,
                    const float* beta, float eps, float* out) {
  double mean = 0.0;
  if (kind == NormKind::kLayerNorm) {
    for (size_t i = 0; i < n; ++i) mean += x[i];
    mean /= static_cast<double>(n);
  }
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) ss += (x[i] - mean) * (x[i] - mean);
  const double inv = 1.0 / sqrt(ss / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) {
    double v = (x[i] - mean) * inv * gamma[i];
    if (kind == NormKind::kLayerNorm && beta) v += beta[i];
    out[i] = static_cast<float>(v);
  }
}

void LayerNorm(const float* x, size_t rows, size_t cols, const float* gamma,
               const float* beta, float eps, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    NormRow(x + r * cols, cols, NormKind::kLayerNorm, gamma, beta, eps, out + r * cols);
  }
}

void RMSNorm(const float* x, size_t rows, size_t cols, const float* gamma,
             float eps, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    NormRow(x + r * cols, cols, NormKind::kRMSNorm, gamma, nullptr, eps, out + r * cols);
  }
}

void AddNorm(float* residual, const float* delta, size_t rows, size_t cols,
             NormKind kind, const float* gamma, const float* beta, float eps,
             float* normed) {
  for (size_t i = 0; i < rows * cols; ++i) residual[i] += delta[i];
  for (size_t r = 0; r < rows; ++r) {
    NormRow(residual + r * cols, cols, kind, gamma, beta, eps, normed + r * cols);
  }
}

static bool IdsValid(size_t vocab, const int32_t* ids, size_t n,
                     const float* pos_table, size_t max_pos, const int32_t* pos) {
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= vocab) return false;
    if (pos_table && (!pos || pos[i] < 0 || static_cast<size_t>(pos[i]) >= max_pos)) {
      return false;
    }
  }
  return true;
}

bool EmbeddingGather(const float* table, size_t vocab, size_t dim,
                     const int32_t* ids, size_t n, float scale,
                     const float* pos_table, size_t max_pos,
                     const int32_t* pos, float* out) {
  if (!IdsValid(vocab, ids, n, pos_table, max_pos, pos)) return false;
  for (size_t t = 0; t < n; ++t) {
    for (size_t j = 0; j < dim; ++j) {
      const float p = pos_table ? pos_table[static_cast<size_t>(pos[t]) * dim + j] : 0.0f;
      out[t * dim + j] = fmaf(table[static_cast<size_t>(ids[t]) * dim + j], scale, p);
    }
  }
  return true;
}

bool EmbeddingGatherInt8(const int8_t* table, const float* row_scales,
                         size_t vocab, size_t dim, const int32_t* ids, size_t n,
                         float scale, const float* pos_table, size_t max_pos,
                         const int32_t* pos, float* out) {
  if (!IdsValid(vocab, ids, n, pos_table, max_pos, pos)) return false;
  for (size_t t = 0; t < n; ++t) {
    const float s = scale * row_scales[ids[t]];
    for (size_t j = 0; j < dim; ++j) {
      const float p = pos_table ? pos_table[static_cast<size_t>(pos[t]) * dim + j] : 0.0f;
      out[t * dim + j] =
          fmaf(static_cast<float>(table[static_cast<size_t>(ids[t]) * dim + j]), s, p);
    }
  }
  return true;
}

void QuantizeRowsS8(const float* w, size_t rows, size_t cols, int8_t* q,
                    float* scales, int qmax) {
  const float qm = static_cast<float>(qmax);
  for (size_t r = 0; r < rows; ++r) {
    float amax = 0.0f;
    for (size_t c = 0; c < cols; ++c) amax = std::max(amax, fabsf(w[r * cols + c]));
    scales[r] = amax / qm;
    const float inv = amax > 0.0f ? qm / amax : 0.0f;
    for (size_t c = 0; c < cols; ++c) {
      const float v = nearbyintf(w[r * cols + c] * inv);
      q[r * cols + c] = static_cast<int8_t>(std::clamp(v, -qm, qm));
    }
  }
}

void DequantizeRowsS8(const int8_t* q, const float* scales, size_t rows,
                      size_t cols, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      out[r * cols + c] = static_cast<float>(q[r * cols + c]) * scales[r];
    }
  }
}

void QuantizeRowsU8(const float* x, size_t rows, size_t cols, int qmax,
                    uint8_t* q, float* scales, int32_t* zeros) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    float lo = 0.0f, hi = 0.0f;
    for (size_t c = 0; c < cols; ++c) {
      lo = std::min(lo, row[c]);
      hi = std::max(hi, row[c]);
    }
    float scale = (hi - lo) / static_cast<float>(qmax);
    if (!(scale > 0.0f)) scale = 1.0f;
    const float inv = 1.0f / scale;
    const int32_t zero =
        std::clamp(static_cast<int32_t>(nearbyintf(-lo * inv)), 0, qmax);
    scales[r] = scale;
    zeros[r] = zero;
    for (size_t c = 0; c < cols; ++c) {
      const int32_t v = static_cast<int32_t>(nearbyintf(row[c] * inv)) + zero;
      q[r * cols + c] = static_cast<uint8_t>(std::clamp(v, 0, qmax));
    }
  }
}

void DequantizeAccumulators(const int32_t* acc, size_t M, size_t N,
                            const float* x_scale, const int32_t* x_zero,
                            const float* w_scale, const int32_t* w_sum,
                            const float* bias, Activation act, float* y) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      const int32_t exact = acc[m * N + n] - x_zero[m] * w_sum[n];
      const double v = static_cast<double>(exact) * x_scale[m] * w_scale[n] +
                       (bias ? bias[n] : 0.0f);
      y[m * N + n] = Activate(static_cast<float>(v), act);
    }
  }
}

void AttentionScores(const float* q, size_t q_stride, const float* k, size_t k_stride,
                     size_t tq, size_t tk, size_t dh, float* scores) {
  for (size_t i = 0; i < tq; ++i) {
    for (size_t j = 0; j < tk; ++j) {
      double s = 0;
      for (size_t c = 0; c < dh; ++c) s += static_cast<double>(q[i * q_stride + c]) * k[j * k_stride + c];
      scores[i * tk + j] = static_cast<float>(s);
    }
  }
}

void AttentionContext(const float* p, size_t tq, size_t tk, const float* v, size_t v_stride,
                      size_t dh, float* out, size_t out_stride) {
  for (size_t i = 0; i < tq; ++i) {
    for (size_t c = 0; c < dh; ++c) {
      double s = 0;
      for (size_t j = 0; j < tk; ++j) s += static_cast<double>(p[i * tk + j]) * v[j * v_stride + c];
      out[i * out_stride + c] = static_cast<float>(s);
    }
  }
}

void Add(float* acc, const float* delta, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += delta[i];
}

void Multiply(float* acc, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] *= x[i];
}

void MatmulF32(const float* x, size_t M, size_t K, const float* w, size_t N,
               const float* bias, float* y) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      double s = bias ? bias[n] : 0.0;
      for (size_t k = 0; k < K; ++k) s += static_cast<double>(x[m * K + k]) * w[n * K + k];
      y[m * N + n] = static_cast<float>(s);
    }
  }
}

void MatmulU8S8(const uint8_t* xq, size_t M, size_t K, const int8_t* wq,
                size_t N, int32_t* acc) {
  for (size_t m = 0; m < M; ++m) {
    for (size_t n = 0; n < N; ++n) {
      int64_t s = 0;
      for (size_t k = 0; k < K; ++k) s += int64_t{xq[m * K + k]} * wq[n * K + k];
      acc[m * N + n] = static_cast<int32_t>(s);
    }
  }
}

void PowerSpectrum(const float* re_im, size_t bins, float* power) {
  for (size_t k = 0; k < bins; ++k) {
    const double re = re_im[2 * k], im = re_im[2 * k + 1];
    power[k] = static_cast<float>(re * re + im * im);
  }
}

void MelFilterBank(const float* power, size_t frames, size_t bins, const float* filters,
                   size_t n_mels, float* out, size_t out_stride) {
  for (size_t m = 0; m < n_mels; ++m) {
    for (size_t t = 0; t < frames; ++t) {
      double sum = 0.0;
      for (size_t k = 0; k < bins; ++k) sum += double{filters[m * bins + k]} * power[t * bins + k];
      out[m * out_stride + t] = static_cast<float>(sum);
    }
  }
}

float Log10Clamped(float* x, size_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(log10(std::max(double{x[i]}, double{1e-10f})));
    max = std::max(max, x[i]);
  }
  return max;
}

void ClampAndScale(float* x, size_t n, float floor) {
  for (size_t i = 0; i < n; ++i) x[i] = (std::max(x[i], floor) + 4.0f) / 4.0f;
}

}  // namespace edgeseq::ops::ref
