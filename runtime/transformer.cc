#include "runtime/transformer.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include <algorithm>
#include <limits>

#include "ops/attention.h"
#include "ops/embedding.h"
#include "ops/norm.h"
#include "ops/softmax.h"
#include "ops/threads.h"
#include "runtime/error.h"

namespace edgeseq::runtime {
namespace {

void Normalize(const Model& m, const Norm& n, const float* x, size_t rows, float* out) {
  const auto& c = m.config();
  if (m.norm_kind() == ops::NormKind::kLayerNorm) {
    ops::LayerNorm(x, rows, c.d_model, n.gamma, n.beta, c.norm_eps, out);
  } else {
    ops::RMSNorm(x, rows, c.d_model, n.gamma, c.norm_eps, out);
  }
}

// The input of a sub-layer: norm(x) before it (pre-LN), x itself (post-LN).
const float* SublayerInput(const Model& m, const Norm& n, const float* x, size_t rows, float* buf) {
  if (!m.pre_norm()) return x;
  Normalize(m, n, x, rows, buf);
  return buf;
}

// The residual after a sub-layer: x += f(·) (pre-LN), x = norm(x + f(x)) (post-LN).
void Residual(const Model& m, const Norm& n, float* x, const float* delta, size_t rows) {
  const auto& c = m.config();
  if (m.pre_norm()) {
    ops::Add(x, delta, rows * c.d_model);
  } else {
    ops::AddNorm(x, delta, rows, c.d_model, m.norm_kind(), n.gamma, n.beta, c.norm_eps, x);
  }
}

void Embed(const Embedding& e, const float* positions, size_t max_positions, float scale, const int32_t* ids,
           const int32_t* pos, size_t n, float* out) {
  const bool ok =
      e.i8    ? ops::EmbeddingGatherInt8(e.i8, e.scales, e.vocab, e.dim, ids, n, scale, positions, max_positions, pos, out)
      : e.f16 ? ops::EmbeddingGatherF16(e.f16, e.vocab, e.dim, ids, n, scale, positions, max_positions, pos, out)
              : ops::EmbeddingGather(e.f32, e.vocab, e.dim, ids, n, scale, positions, max_positions, pos, out);
  if (!ok) throw Error(ErrorKind::kInput, "token id or position outside the model's range");
}

// Calls f(b, scores) for b < n, each sequence of a batch on its own: on up
// to omp_get_max_threads() threads (the count ops::ThreadTuner chose) (at most Workspace::kAttentionThreads), each with its
// own slice of ws.scores. Sequences are independent and each is computed by
// the same code, so results do not depend on the thread count. One thread
// when there is one sequence or when called inside a parallel region.
template <class F>
void ForEachSequence(Workspace& ws, size_t n, const F& f) {
  const int threads = std::min<int>(omp_get_max_threads(), static_cast<int>(std::min(n, Workspace::kAttentionThreads)));
  if (threads <= 1 || omp_in_parallel()) {
    for (size_t b = 0; b < n; ++b) f(b, ws.scores.data());
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    float* scores = ws.scores.data() + static_cast<size_t>(omp_get_thread_num()) * ws.scores_slice;
#pragma omp for schedule(static)
    for (long b = 0; b < static_cast<long>(n); ++b) f(static_cast<size_t>(b), scores);
  }
}

// Multi-head attention of `tq` queries over `tk` keys for one sequence:
// q rows at q (stride qs), keys/values at k/v (stride kvs); the context goes
// to out (stride d). `mask`: additive key mask [tk] or nullptr. `scores`:
// tq·tk floats of scratch. `mean`: [tq, tk] or nullptr: the attention
// weights averaged over the first mean_heads heads. `bias`: the relative
// position bias (T5; bias.rel nullptr: none): head h's query row i adds the
// tk columns from bias.rel + h·rel_stride − i to its scores (Workspace's
// *_rel_bias rows, bias.rel pointed at the first query's column for key 0).
struct RelativeBias {
  const float* rel = nullptr;
  size_t rel_stride = 0;
};
void Attend(const Model& m, float* scores, const float* q, size_t qs, const float* k, const float* v, size_t kvs,
            size_t tq, size_t tk, const float* mask, bool causal, float* out, float* mean = nullptr,
            size_t mean_heads = 0, RelativeBias bias = {}) {
  const size_t d = m.config().d_model, heads = m.config().num_heads, dh = d / heads;
  const float scale = 1.0f / sqrtf(static_cast<float>(dh));
  ops::SoftmaxMask sm;
  sm.additive = mask;
  sm.causal = causal;
  if (mean) memset(mean, 0, tq * tk * sizeof(float));
  for (size_t h = 0; h < heads; ++h) {
    ops::AttentionScores(q + h * dh, qs, k + h * dh, kvs, tq, tk, dh, scores);
    if (bias.rel) {
      for (size_t i = 0; i < tq; ++i) ops::Add(scores + i * tk, bias.rel + h * bias.rel_stride - i, tk);
    }
    ops::Softmax(scores, tq, tk, scale, sm);
    if (mean && h < mean_heads) {
      for (size_t i = 0; i < tq * tk; ++i) mean[i] += scores[i] / static_cast<float>(mean_heads);
    }
    ops::AttentionContext(scores, tq, tk, v + h * dh, kvs, dh, out + h * dh, d);
  }
}

// The feed-forward sub-layer on `rows` rows of `in`: fc2(act(fc1(x))), or
// for a gated FFN fc2(act(fc1(x)) ⊙ fc1_linear(x)), the second branch in
// the columns after fc1's in `wide` ([rows, ffn] each). Result in `out`.
template <class Layer>
void FeedForward(const Model& m, const Layer& l, const float* in, size_t rows, float* wide, float* out,
                 const ops::MatmulScratch& scratch) {
  l.fc1.matmul.Forward(in, rows, wide, m.activation(), scratch);
  if (m.gated_ffn()) {
    float* linear = wide + rows * l.fc1.out;
    l.fc1_linear.matmul.Forward(in, rows, linear, ops::Activation::kNone, scratch);
    ops::Multiply(wide, linear, rows * l.fc1.out);
  }
  l.fc2.matmul.Forward(wide, rows, out, ops::Activation::kNone, scratch);
}

// The encoder's layers over ws.enc_x [batch, S, d] (embedded, key mask set),
// its final norm, and every decoder layer's cross-attention K|V.
void EncoderLayers(const Model& m, Workspace& ws, size_t batch, size_t S) {
  const size_t d = m.config().d_model, rows = batch * S;
  float* x = ws.enc_x.data();
  const auto scratch = ws.scratch();
  // Relative position bias (T5): query 0's column for key 0.
  const RelativeBias rel = ws.enc_rel_bias.size()
                               ? RelativeBias{ws.enc_rel_bias.data() + ws.limits.max_source - 1, 2 * ws.limits.max_source - 1}
                               : RelativeBias{};
  for (const EncoderLayer& l : m.encoder()) {
    const float* in = SublayerInput(m, l.self_attn_norm, x, rows, ws.enc_norm.data());
    l.qkv.matmul.Forward(in, rows, ws.enc_wide.data(), ops::Activation::kNone, scratch);
    ForEachSequence(ws, batch, [&](size_t b, float* scores) {
      const float* qkv = ws.enc_wide.data() + b * S * 3 * d;
      Attend(m, scores, qkv, 3 * d, qkv + d, qkv + 2 * d, 3 * d, S, S, ws.key_mask.data() + b * S, false,
             ws.enc_attn.data() + b * S * d, nullptr, 0, rel);
    });
    l.out.matmul.Forward(ws.enc_attn.data(), rows, ws.enc_delta.data(), ops::Activation::kNone, scratch);
    Residual(m, l.self_attn_norm, x, ws.enc_delta.data(), rows);
    in = SublayerInput(m, l.ffn_norm, x, rows, ws.enc_norm.data());
    FeedForward(m, l, in, rows, ws.enc_wide.data(), ws.enc_delta.data(), scratch);
    Residual(m, l.ffn_norm, x, ws.enc_delta.data(), rows);
  }
  if (const Norm* n = m.encoder_norm()) Normalize(m, *n, x, rows, x);
  for (size_t l = 0; l < m.decoder().size(); ++l) {
    m.decoder()[l].cross_kv.matmul.Forward(x, rows, ws.cross_kv.data() + l * rows * 2 * d, ops::Activation::kNone,
                                           scratch);
  }
}

// im2col for a kernel-3 convolution with padding 1: row t of `cols`
// [out_rows, 3·width] holds input rows stride·t − 1, stride·t, stride·t + 1
// (zeros outside [0, in_rows)), the tap-major column order of the
// encoder.conv*.weight roles.
void Im2Col3(const float* in, size_t in_rows, size_t width, size_t stride, size_t out_rows, float* cols) {
  for (size_t t = 0; t < out_rows; ++t) {
    for (size_t k = 0; k < 3; ++k) {
      float* dst = cols + (t * 3 + k) * width;
      const size_t src = stride * t + k;  // input row + 1
      if (src == 0 || src > in_rows) {
        memset(dst, 0, width * sizeof(float));
      } else {
        memcpy(dst, in + (src - 1) * width, width * sizeof(float));
      }
    }
  }
}

}  // namespace

size_t EncodeLogMel(const Model& m, Workspace& ws, const std::vector<const float*>& features) {
  const auto& c = m.config();
  const size_t d = c.d_model, batch = features.size(), frames = m.frames(), S = c.max_positions;
  const auto scratch = ws.scratch();
  for (size_t b = 0; b < batch; ++b) {
    ws.src_len[b] = S;
    for (size_t t = 0; t < S; ++t) ws.key_mask[b * S + t] = 0.0f;
    // Whisper's front end: GELU(conv1(x)), GELU(conv2(·)) with stride 2
    // (model.py AudioEncoder.forward), one source at a time.
    float* x = ws.enc_x.data() + b * S * d;
    Im2Col3(features[b], frames, c.n_mels, 1, frames, ws.conv_cols.data());
    m.conv1().matmul.Forward(ws.conv_cols.data(), frames, ws.conv_mid.data(), ops::Activation::kGeluErf, scratch);
    Im2Col3(ws.conv_mid.data(), frames, d, 2, S, ws.conv_cols.data());
    m.conv2().matmul.Forward(ws.conv_cols.data(), S, x, ops::Activation::kGeluErf, scratch);
    if (const float* pos = m.src_positions()) ops::Add(x, pos, S * d);
    if (const Norm* n = m.encoder_embed_norm()) Normalize(m, *n, x, S, x);
  }
  EncoderLayers(m, ws, batch, S);
  return S;
}

size_t Encode(const Model& m, Workspace& ws, const std::vector<std::vector<int32_t>>& sources) {
  const auto& c = m.config();
  const size_t batch = sources.size();
  size_t S = 0;
  for (const auto& s : sources) S = std::max(S, s.size());
  const size_t rows = batch * S;
  const int32_t pad = c.pad_id >= 0 ? c.pad_id : 0;
  for (size_t b = 0; b < batch; ++b) {
    ws.src_len[b] = sources[b].size();
    for (size_t t = 0; t < S; ++t) {
      const bool real = t < sources[b].size();
      ws.enc_ids[b * S + t] = real ? sources[b][t] : pad;
      ws.enc_pos[b * S + t] = static_cast<int32_t>(t);
      ws.key_mask[b * S + t] = real ? 0.0f : -std::numeric_limits<float>::infinity();
    }
  }
  float* x = ws.enc_x.data();
  Embed(m.src_embedding(), m.src_positions(), c.max_positions, c.embedding_scale, ws.enc_ids.data(),
        m.src_positions() ? ws.enc_pos.data() : nullptr, rows, x);
  if (const Norm* n = m.encoder_embed_norm()) Normalize(m, *n, x, rows, x);
  EncoderLayers(m, ws, batch, S);
  return S;
}

void DecodeStep(const Model& m, Workspace& ws, size_t batch, size_t per_source, size_t S, size_t step) {
  const auto& c = m.config();
  const size_t d = c.d_model, T = ws.limits.max_target, B = ws.dec_rows;
  const size_t sources = batch / per_source;
  for (size_t b = 0; b < batch; ++b) ws.dec_pos[b] = static_cast<int32_t>(step);
  float* x = ws.dec_x.data();
  Embed(m.tgt_embedding(), m.tgt_positions(), loaders::DecoderPositions(c), c.embedding_scale, ws.dec_ids.data(),
        m.tgt_positions() ? ws.dec_pos.data() : nullptr, batch, x);
  if (const Norm* n = m.decoder_embed_norm()) Normalize(m, *n, x, batch, x);
  const auto scratch = ws.scratch();
  // Relative position bias (T5): this step's query's column for key 0.
  const RelativeBias rel =
      ws.dec_rel_bias.size() ? RelativeBias{ws.dec_rel_bias.data() + (T - 1) - step, T} : RelativeBias{};
  for (size_t li = 0; li < m.decoder().size(); ++li) {
    const DecoderLayer& l = m.decoder()[li];
    float* cache_k = ws.cache_k.data() + li * B * T * d;
    float* cache_v = ws.cache_v.data() + li * B * T * d;
    // Self-attention over this step and the cached ones.
    const float* in = SublayerInput(m, l.self_attn_norm, x, batch, ws.dec_norm.data());
    l.qkv.matmul.Forward(in, batch, ws.dec_wide.data(), ops::Activation::kNone, scratch);
    ForEachSequence(ws, batch, [&](size_t b, float* scores) {
      const float* qkv = ws.dec_wide.data() + b * 3 * d;
      float* kb = cache_k + b * T * d;
      float* vb = cache_v + b * T * d;
      memcpy(kb + step * d, qkv + d, d * sizeof(float));
      memcpy(vb + step * d, qkv + 2 * d, d * sizeof(float));
      Attend(m, scores, qkv, 3 * d, kb, vb, d, 1, step + 1, nullptr, false, ws.dec_attn.data() + b * d, nullptr, 0,
             rel);
    });
    l.out.matmul.Forward(ws.dec_attn.data(), batch, ws.dec_delta.data(), ops::Activation::kNone, scratch);
    Residual(m, l.self_attn_norm, x, ws.dec_delta.data(), batch);
    // Cross-attention over the encoder output.
    in = SublayerInput(m, l.cross_attn_norm, x, batch, ws.dec_norm.data());
    l.cross_q.matmul.Forward(in, batch, ws.dec_wide.data(), ops::Activation::kNone, scratch);
    const float* kv = ws.cross_kv.data() + li * sources * S * 2 * d;
    // The alignment: the header's heads and layer (docs/FORMAT.md).
    const bool keep = ws.keep_cross_attention && li + 1 + c.alignment_layer_back == m.decoder().size();
    const size_t align_heads = c.alignment_heads ? c.alignment_heads : c.num_heads;
    ForEachSequence(ws, batch, [&](size_t b, float* scores) {
      const size_t src = b / per_source;
      const float* kvb = kv + src * S * 2 * d;
      Attend(m, scores, ws.dec_wide.data() + b * d, d, kvb, kvb + d, 2 * d, 1, S, ws.key_mask.data() + src * S,
             false, ws.dec_attn.data() + b * d, keep ? ws.cross_attention.data() + b * ws.limits.max_source : nullptr,
             align_heads);
    });
    l.cross_out.matmul.Forward(ws.dec_attn.data(), batch, ws.dec_delta.data(), ops::Activation::kNone, scratch);
    Residual(m, l.cross_attn_norm, x, ws.dec_delta.data(), batch);
    // Feed-forward.
    in = SublayerInput(m, l.ffn_norm, x, batch, ws.dec_norm.data());
    FeedForward(m, l, in, batch, ws.dec_wide.data(), ws.dec_delta.data(), scratch);
    Residual(m, l.ffn_norm, x, ws.dec_delta.data(), batch);
  }
  if (const Norm* n = m.decoder_norm()) Normalize(m, *n, x, batch, x);
  m.output().matmul.Forward(x, batch, ws.logits.data(), ops::Activation::kNone, scratch);
}

}  // namespace edgeseq::runtime
