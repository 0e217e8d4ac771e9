#include "runtime/workspace.h"

#include <math.h>

#include <algorithm>
#include <new>
#include <string>
#include <tuple>
#include <utility>

#include "runtime/error.h"
#include "runtime/model.h"
#include "runtime/relative_position.h"

namespace edgeseq::runtime {

AlignedBuffer::AlignedBuffer(size_t bytes) : bytes_((bytes + 63) / 64 * 64) {
  if (bytes_ == 0) return;
  mem_ = std::unique_ptr<void, BufferDeleter>(BufferAlloc(bytes_), BufferDeleter{bytes_});
}

namespace {

// The limits as planned: a log-mel encoder always runs on all its positions.
Limits Planned(const Model& model, Limits l) {
  if (model.log_mel_input()) l.max_source = model.config().max_positions;
  return l;
}

}  // namespace

Workspace::Workspace(const Model& model, const Limits& given) : limits(Planned(model, given)) {
  const auto& c = model.config();
  const Limits& l = limits;
  if (l.max_batch == 0 || l.max_source == 0 || l.max_target == 0 || l.max_beam == 0) {
    throw Error(ErrorKind::kLimit, "generator limits must be positive");
  }
  for (const auto& [name, value, positions] :
       {std::tuple<const char*, size_t, size_t>{"max_source", l.max_source, c.max_positions},
        std::tuple<const char*, size_t, size_t>{"max_target", l.max_target, loaders::DecoderPositions(c)}}) {
    if (value > positions) {
      throw Error(ErrorKind::kLimit, std::string("generator limit ") + name + " " + std::to_string(value) +
                                         " exceeds the model's " + std::to_string(positions) + " positions");
    }
  }
  d = c.d_model;
  ffn = c.ffn_dim;
  vocab = c.tgt_vocab_size;
  layers = c.decoder_layers;
  const size_t rows = l.max_batch * l.max_source;
  const size_t wide = std::max<size_t>(3 * d, model.gated_ffn() ? 2 * ffn : ffn);
  enc_x.resize(rows * d);
  enc_norm.resize(rows * d);
  enc_wide.resize(rows * wide);
  enc_attn.resize(rows * d);
  enc_delta.resize(rows * d);
  enc_ids.resize(rows);
  enc_pos.resize(rows);
  key_mask.resize(rows);
  src_len.resize(l.max_batch);
  cross_kv.resize(layers * rows * 2 * d);
  dec_rows = l.max_batch * l.max_beam;
  cache_k.resize(layers * dec_rows * l.max_target * d);
  cache_v.resize(cache_k.size());
  if (l.max_beam > 1) {
    cache_k_next.resize(cache_k.size());
    cache_v_next.resize(cache_k.size());
  }
  dec_x.resize(dec_rows * d);
  dec_norm.resize(dec_rows * d);
  dec_wide.resize(dec_rows * wide);
  dec_attn.resize(dec_rows * d);
  dec_delta.resize(dec_rows * d);
  logits.resize(dec_rows * vocab);
  cross_attention.resize(dec_rows * limits.max_source);
  dec_ids.resize(dec_rows);
  dec_pos.resize(dec_rows);
  const size_t t = std::max(l.max_source, l.max_target);
  scores_slice = (t * t + 15) / 16 * 16;  // slices 64-byte aligned
  scores.resize(kAttentionThreads * scores_slice);
  if (c.relative_attention == loaders::RelativeAttention::kT5Buckets) {
    const size_t heads = c.num_heads;
    const float scale = sqrtf(static_cast<float>(d / heads));
    const auto S = static_cast<int64_t>(l.max_source), T = static_cast<int64_t>(l.max_target);
    if (const float* table = model.encoder_relative_bias()) {
      enc_rel_bias.resize(heads * static_cast<size_t>(2 * S - 1));
      RelativeBiasRows(table, heads, /*bidirectional=*/true, c.relative_num_buckets, c.relative_max_distance,
                       -(S - 1), S - 1, scale, enc_rel_bias.data());
    }
    dec_rel_bias.resize(heads * static_cast<size_t>(T));
    RelativeBiasRows(model.decoder_relative_bias(), heads, /*bidirectional=*/false, c.relative_num_buckets,
                     c.relative_max_distance, -(T - 1), 0, scale, dec_rel_bias.data());
  }
  if (model.log_mel_input()) {
    conv_cols.resize(model.frames() * 3 * std::max<size_t>(c.n_mels, d));
    conv_mid.resize(model.frames() * d);
  }
  matmul_scratch = AlignedBuffer(model.MatmulScratchBytes(rows, dec_rows));
}

}  // namespace edgeseq::runtime
