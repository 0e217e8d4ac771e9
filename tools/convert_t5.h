// T5 (v1.0) and T5 v1.1 / Flan-T5 / mT5 from Hugging Face names and
// config.json: the tensor mapping and the converter settings (Raffel et al.
// 2020, "Exploring the Limits of Transfer Learning with a Unified
// Text-to-Text Transformer"; Hugging Face's configuration_t5.py and
// modeling_t5.py). docs/CONVERTER.md, "T5", has the conventions and folds.
#pragma once

#include <stdint.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/convert.h"
#include "tools/convert_mapping.h"

namespace edgeseq::tools {

// The mapping of Hugging Face T5 names (shared.weight, encoder.block.{i}.
// layer.0.SelfAttention.q.weight, ...) to .esq roles, as a mapping file
// holds it (docs/CONVERTER.md). gated: T5 v1.1's wi_0 / wi_1 (fc1 /
// fc1_linear) instead of v1.0's wi. The "model" settings: RMSNorm, no
// attention scaling, the tied output's d_model^-0.5, T5 buckets with
// `max_distance`. examples/mappings/t5.json and t5-v1_1.json are this with
// max_distance 128.
nlohmann::json T5MappingJson(bool gated, uint32_t max_distance);

// What a T5 config.json says, as converter settings.
struct T5Settings {
  Mapping mapping;
  uint32_t heads = 0;
  std::string activation;        // relu | gelu | gelu_tanh | silu
  float eps = 1e-6f;             // layer_norm_epsilon
  int32_t pad = 0, eos = 1, decoder_start = 0;
  int32_t unk = 2;               // T5's and mT5's SentencePiece models: <unk> is id 2 (no config key)
  uint32_t max_positions = 512;  // n_positions when given (relative positions have no table to bound them)
};

// Reads a parsed config.json (model_type t5 or mt5). Refuses, with a
// ConvertError naming the key, what the runtime does not compute: d_kv ·
// num_heads ≠ d_model, an unknown feed_forward_proj, bucket counts or
// distances outside the format's range.
T5Settings FromT5Config(const nlohmann::json& config);

// Sets o's mapping and every output-changing setting from `t` (pre-LN,
// embedding scale 1, no BOS, sources end with EOS, decoding starts from
// pad), as flags would: so --strict is satisfied.
void ApplyT5Settings(const T5Settings& t, ConvertOptions& o);

}  // namespace edgeseq::tools
