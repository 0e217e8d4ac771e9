// edgeseq-convert as a library function: a PyTorch checkpoint (zip or
// safetensors) in, an .esq model out, written atomically.
#pragma once

#include <stdint.h>

#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeseq::tools {

class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ConvertOptions {
  std::string input, output;
  std::string key;                        // --key: the state dict inside a checkpoint dict
  std::string arch = "torch-transformer"; // built-in mapping, unless map_file is set
  std::string map_file;                   // --map
  uint32_t heads = 0;                     // required
  bool norm_first = false;
  std::string activation = "relu";        // relu | gelu | gelu_tanh | silu
  float eps = 1e-5f;
  int32_t pad = 1, bos = 2, eos = 3, unk = 0, decoder_start = -1;  // -1: bos
  float embedding_scale = 0.0f;           // 0: √d_model (the tutorial's TokenEmbedding)
  uint32_t max_positions = 0;             // 0: the position table's length (1024 without one)
  std::string src_vocab_file, tgt_vocab_file;
  std::string src_tokenizer = "whitespace", tgt_tokenizer = "whitespace";  // or "chars"
  std::optional<int32_t> src_unk, tgt_unk;
  std::optional<std::vector<int32_t>> src_prefix, src_suffix;
  std::optional<std::string> src_normalize;
  std::string quantize = "int8";          // int8 | f16 | f32: the matmul weights
  std::string embeddings;                 // int8 | f16 | f32; empty: f16 (f32 when quantize is f32)
  std::string output_projection;          // int8 | f16 | f32; empty: as quantize
  int weight_bits = 7;                    // int8 weights: 7 (|q| ≤ 63) or 8 (|q| ≤ 127)
  bool strict = false;                    // unexpected tensors are errors
  bool progress = false;                  // progress bar on the log stream
};

struct QuantReport {
  std::string name;
  std::string dtype;
  double max_rel_error = 0, mean_rel_error = 0;  // |w - ŵ| / max|w| of the row
};

struct ConvertReport {
  std::string checkpoint_root;
  std::vector<std::string> unexpected;  // checkpoint tensors not used
  std::vector<QuantReport> tensors;
  uint64_t output_bytes = 0;
};

// Converts; throws ConvertError (or loaders' errors) with a one-line reason.
// Nothing is written unless everything succeeded.
ConvertReport Convert(const ConvertOptions& options, std::ostream& log);

}  // namespace edgeseq::tools
