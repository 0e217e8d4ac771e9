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

struct Mapping {
  std::vector<MappingRule> rules;
  std::string positions;             // source of a position table ([max, d] or [max, 1, d]); "" none
};

// The layout of PyTorch's nn.Transformer translation tutorial
// (Seq2SeqTransformer).
Mapping TorchTransformerMapping();

// Parses a mapping file; throws std::runtime_error with the reason.
Mapping ParseMappingJson(const std::string& json_text);

}  // namespace edgeseq::tools
