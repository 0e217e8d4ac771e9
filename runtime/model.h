// A loaded model: the mapped .esq file, its weights prepared for the matmul
// (int8 and f32 weights used in place from the mapping; f16/bf16 widened to
// f32 once), and the layer structure. Immutable after Load, so one Model
// serves any number of Generators on any threads.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "loaders/esq_reader.h"
#include "ops/activation.h"
#include "ops/matmul.h"
#include "ops/norm.h"

namespace edgeseq::runtime {

struct Norm {
  const float* gamma = nullptr;
  const float* beta = nullptr;  // nullptr for RMSNorm
};

struct Linear {
  ops::Matmul matmul;
  size_t out = 0, in = 0;
};

// fc1_linear: the un-activated branch of a gated FFN (header ffn_kind 1),
// empty (out == 0) otherwise.
struct EncoderLayer {
  Linear qkv, out, fc1, fc1_linear, fc2;
  Norm self_attn_norm, ffn_norm;
};

struct DecoderLayer {
  Linear qkv, out, cross_q, cross_kv, cross_out, fc1, fc1_linear, fc2;
  Norm self_attn_norm, cross_attn_norm, ffn_norm;
};

// A token embedding table, f32, f16 (bits) or int8 with row scales, used
// where it is mapped.
struct Embedding {
  const float* f32 = nullptr;
  const uint16_t* f16 = nullptr;
  const int8_t* i8 = nullptr;
  const float* scales = nullptr;
  size_t vocab = 0, dim = 0;
};

struct ModelOptions {
  bool verify_checksums = false;  // hash every tensor at load (reads the whole file)
};

class Model {
 public:
  // Throws runtime::Error(kModel) or loaders::EsqError naming what is wrong.
  static std::shared_ptr<const Model> Load(const std::string& path, const ModelOptions& options = {});
  // The same from a model file already in memory: `bytes` (64-byte aligned,
  // as the format aligns tensors) are validated the same way, used in place
  // and must outlive the Model. `name` stands for the file name in errors.
  static std::shared_ptr<const Model> FromBytes(const uint8_t* bytes, size_t size, const std::string& name,
                                                const ModelOptions& options = {});

  const loaders::ModelConfig& config() const { return file_.config(); }
  const loaders::EsqFile& file() const { return file_; }
  bool pre_norm() const { return config().norm_placement == loaders::NormPlacement::kPre; }
  ops::NormKind norm_kind() const {
    return config().norm_type == loaders::NormType::kRMSNorm ? ops::NormKind::kRMSNorm : ops::NormKind::kLayerNorm;
  }
  ops::Activation activation() const { return activation_; }
  bool gated_ffn() const { return config().ffn_kind == loaders::FfnKind::kGated; }
  // T5 relative attention: the learned tables [num_buckets, heads] (f32), or
  // nullptr without relative attention.
  const float* encoder_relative_bias() const { return encoder_relative_bias_; }
  const float* decoder_relative_bias() const { return decoder_relative_bias_; }

  // Log-mel input (header encoder_input 1, Whisper): sources are features
  // [frames(), n_mels] through conv1 and conv2 (Linear over im2col rows of
  // 3 frames, tap-major: docs/FORMAT.md), not token ids.
  bool log_mel_input() const { return config().encoder_input == loaders::EncoderInput::kLogMel; }
  size_t frames() const { return 2 * size_t{config().max_positions}; }  // input frames per source (log-mel)
  const Linear& conv1() const { return conv1_; }  // [d, 3·n_mels]
  const Linear& conv2() const { return conv2_; }  // [d, 3·d], stride 2

  const Embedding& src_embedding() const { return src_embedding_; }  // empty for log-mel input
  const Embedding& tgt_embedding() const { return tgt_embedding_; }
  const float* src_positions() const { return src_positions_; }  // [max_positions, d] or nullptr
  const float* tgt_positions() const { return tgt_positions_; }  // [DecoderPositions, d] or nullptr
  const std::vector<EncoderLayer>& encoder() const { return encoder_; }
  const std::vector<DecoderLayer>& decoder() const { return decoder_; }
  const Norm* encoder_norm() const { return config().encoder_final_norm ? &encoder_norm_ : nullptr; }
  const Norm* decoder_norm() const { return config().decoder_final_norm ? &decoder_norm_ : nullptr; }
  // The norm on a stack's embedding output (BART's layernorm_embedding), or nullptr.
  const Norm* encoder_embed_norm() const { return config().encoder_embed_norm ? &encoder_embed_norm_ : nullptr; }
  const Norm* decoder_embed_norm() const { return config().decoder_embed_norm ? &decoder_embed_norm_ : nullptr; }
  const Linear& output() const { return output_; }  // bias included

  // Largest matmul scratch a Linear needs when the encoder runs on
  // `encoder_rows` rows and the decoder step on `decoder_rows` (the
  // log-mel front end: one source at a time, frames() and max_positions rows).
  size_t MatmulScratchBytes(size_t encoder_rows, size_t decoder_rows) const;

 private:
  Model() = default;
  static std::shared_ptr<const Model> FromFile(loaders::EsqFile file);
  const float* F32(const std::string& name, bool required = true);
  Linear MakeLinear(const std::string& name, const std::string& bias_name,
                    ops::Int8Rows rows = ops::Int8Rows::kAnyRows);
  Norm MakeNorm(const std::string& prefix);
  Embedding MakeEmbedding(const std::string& name);

  loaders::EsqFile file_;
  std::deque<std::vector<float>> owned_;  // widened f16/bf16 tensors, computed position tables
  ops::Activation activation_ = ops::Activation::kReLU;
  Embedding src_embedding_, tgt_embedding_;
  const float* src_positions_ = nullptr;
  const float* tgt_positions_ = nullptr;
  std::vector<EncoderLayer> encoder_;
  std::vector<DecoderLayer> decoder_;
  Norm encoder_norm_, decoder_norm_, encoder_embed_norm_, decoder_embed_norm_;
  Linear output_;
  Linear conv1_, conv2_;
  const float* encoder_relative_bias_ = nullptr;
  const float* decoder_relative_bias_ = nullptr;
};

}  // namespace edgeseq::runtime
