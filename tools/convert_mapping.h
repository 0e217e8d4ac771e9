// How checkpoint tensors become the .esq roles (docs/FORMAT.md, "Tensor
// roles"): one rule per role, naming its source tensor(s), with "{i}" standing
// for a layer index. The built-in `torch-transformer` architecture is such a
// mapping; `--map FILE` supplies another (docs/CONVERTER.md).
#pragma once

#include <stdint.h>

#include <map>
#include <string>
#include <vector>

namespace edgeseq::tools {

struct MappingRule {
  std::string role;                  // e.g. "decoder.layers.{i}.cross_attn.kv_proj.weight"
  std::vector<std::string> sources;  // one source, or several concatenated along rows; "" is a
                                     // part that is zero (e.g. Whisper's absent key bias), shaped
                                     // like the parts that are present
  uint32_t split = 1;                // take equal row parts of the (concatenated) source...
  std::vector<uint32_t> take;        // ...these ones, in order (empty: all)
  bool optional = false;             // all sources absent: skip the role instead of failing
                                     // (some present and some absent is always an error)
  std::string group;                 // biases are optional as a group: when no source of any
                                     // rule of the group exists (a bias-free model), the
                                     // group's roles are all skipped; otherwise each rule holds
};

// Model-family settings a mapping file carries ("model": {...};
// docs/CONVERTER.md): conventions that are no tensor's, each folded into the
// weights or recorded in the header (version 1.3).
struct MappingModel {
  std::string norm;                   // "rms" (RMSNorm, no mean, no bias) or "" / "layer"
  // Attention scores are not divided by √d_head (T5): the converter multiplies
  // the query projections (self_attn.qkv_proj's first d rows,
  // cross_attn.q_proj) by √d_head, so the runtime's scaled attention computes
  // the same (exact when d_head is a power of 4).
  bool unscaled_attention = false;
  // A tied output projection sees the decoder's output times d_model^-0.5
  // (T5 with tie_word_embeddings): folded into decoder.norm.weight.
  bool tied_output_rescale = false;
  // T5 relative attention (the tables mapped to
  // {encoder,decoder}.relative_attention_bias.weight, whose rows give the
  // bucket count): the distance from which positions share the last bucket.
  uint32_t relative_max_distance = 0;
};

struct Mapping {
  std::vector<MappingRule> rules;
  std::string positions;             // source of a position table ([max, d] or [max, 1, d]); "" none
  MappingModel model;
  // Checkpoint tensors that are copies of another ("aliases": {copy: of}),
  // e.g. T5's encoder.embed_tokens.weight of shared.weight: consumed when
  // present and equal to it, an error when they differ.
  std::map<std::string, std::string> aliases;
};

// The layout of PyTorch's nn.Transformer translation tutorial
// (Seq2SeqTransformer).
Mapping TorchTransformerMapping();

// Parses a mapping file; throws std::runtime_error with the reason.
Mapping ParseMappingJson(const std::string& json_text);

}  // namespace edgeseq::tools
