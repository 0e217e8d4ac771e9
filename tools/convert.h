// edgeseq-convert as a library function: a PyTorch checkpoint (zip or
// safetensors) in, an .esq model out, written atomically.
#pragma once

#include <stdint.h>

#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgeseq::tools {

struct Mapping;

class ConvertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Settings that change outputs are std::optional: unset means "not given on
// the command line", so the converter can tell a flag from a default and say
// where each value came from (the settings summary, --strict).
struct ConvertOptions {
  std::string input, output;
  std::string key;                        // --key: the state dict inside a checkpoint dict
  std::string arch = "torch-transformer"; // built-in mapping, unless map_file is set
  std::string map_file;                   // --map
  std::shared_ptr<const Mapping> mapping; // a mapping made in code (e.g. FromT5Config); excludes map_file
  std::optional<uint32_t> heads;          // no default: from the file or --heads
  std::optional<bool> norm_first;         // pre-LN (true) or post-LN (false)
  std::optional<std::string> activation;  // relu | gelu | gelu_tanh | silu
  std::optional<float> eps;               // layer-norm epsilon
  std::optional<int32_t> pad, bos, eos, unk, decoder_start;  // -1: none (pad, bos, unk)
  std::optional<float> embedding_scale;   // token-embedding multiplier
  std::optional<uint32_t> max_positions;  // longest sequence
  std::string src_vocab_file, tgt_vocab_file;
  std::optional<std::string> src_tokenizer, tgt_tokenizer;  // whitespace | chars | sentencepiece:FILE | bpe:V,M | hf:F | tiktoken:F[,S]
  // Conventions the header records (tools/convert_conventions.h has the
  // defaults): unknown id per vocabulary (unset: --unk), source framing ids
  // (unset: the layout's; an empty list: none), source text normalization
  // ("none" | "lowercase"; unset: none).
  std::optional<int32_t> src_unk, tgt_unk;
  std::optional<std::vector<int32_t>> src_prefix, src_suffix;
  std::optional<std::string> src_normalize;
  std::string quantize = "int8";          // int8 | f16 | f32: the matmul weights
  std::string embeddings;                 // int8 | f16 | f32; empty: f16 (f32 when quantize is f32)
  std::string output_projection;          // int8 | f16 | f32; empty: as quantize
  int weight_bits = 7;                    // int8 weights: 7 (|q| ≤ 63) or 8 (|q| ≤ 127)
  bool strict = false;                    // no setting from a default; unexpected tensors are errors
  bool progress = false;                  // progress bar on the log stream
  bool quiet = false;                     // no settings summary, no per-tensor report
};

struct QuantReport {
  std::string name;
  std::string dtype;
  double max_rel_error = 0, mean_rel_error = 0;  // |w - ŵ| / max|w| of the row
};

struct ConvertReport {
  std::string checkpoint_root;
  std::vector<std::string> settings;    // the summary block: "name  value  (origin)"
  std::vector<std::string> unexpected;  // checkpoint tensors not used
  std::vector<QuantReport> tensors;
  uint64_t output_bytes = 0;
};

// Converts; throws ConvertError (or loaders' errors) with a one-line reason.
// Nothing is written unless everything succeeded.
ConvertReport Convert(const ConvertOptions& options, std::ostream& log);

// --list: the container (state dict, whole model, checkpoint dict keys) and
// every tensor's name, dtype and shape, one per line, on `out`.
void ListCheckpoint(const std::string& input, const std::string& key, std::ostream& out);

}  // namespace edgeseq::tools
