// The converter's settings: every value that changes a model's outputs, with
// where it came from — the checkpoint file (a whole pickled model records its
// modules' settings), a flag, the tensors' shapes, or the layout's documented
// default. A flag that contradicts the file is an error naming both; the
// summary lists every setting with its origin; --strict refuses defaults.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "loaders/checkpoint.h"

namespace edgeseq::tools {

// A value read from the file, and where (module path and attribute).
template <class T>
struct FileValue {
  T value;
  std::string where;
};

// What a whole pickled model says about itself (nothing for a state dict).
struct FileSettings {
  std::optional<FileValue<uint32_t>> heads;         // nn.MultiheadAttention.num_heads
  std::optional<FileValue<bool>> norm_first;        // nn.Transformer*Layer.norm_first
  std::optional<FileValue<std::string>> activation; // the layers' activation function or module
  std::optional<FileValue<float>> eps;              // nn.LayerNorm.eps
  std::optional<FileValue<int32_t>> pad;            // nn.Embedding.padding_idx, when set
  // Formats that record more (CTranslate2 model directories:
  // tools/convert_ct2.h): special ids from the vocabularies and config.json,
  // the embedding scale, the source framing.
  std::optional<FileValue<float>> embedding_scale;
  std::optional<FileValue<int32_t>> bos, eos, unk, decoder_start, src_unk, tgt_unk;
  std::optional<FileValue<std::vector<int32_t>>> src_prefix, src_suffix;
  // Generation defaults (Hugging Face directories: tools/convert_hf.h): the
  // forced first target token, and whether the pad is never generated.
  std::optional<FileValue<int32_t>> forced_bos;
  std::optional<FileValue<bool>> never_generate_pad;
};

// Reads the settings from the modules of a whole pickled model. Modules that
// disagree (two head counts, two epsilons) or an activation edgeseq does not
// run are errors (ConvertError) naming both places.
FileSettings ReadFileSettings(const std::vector<loaders::ModuleInfo>& modules);

enum class Origin { kFile, kFlag, kTensors, kDefault };

// The summary block and the --strict check.
class SettingsLog {
 public:
  void Add(const std::string& name, const std::string& value, Origin origin, const std::string& detail);
  // "  name  value  (origin: detail)" lines, aligned.
  std::vector<std::string> Lines() const;
  // The flags of the settings that came from a default, for --strict.
  std::vector<std::string> Defaulted() const;

 private:
  struct Entry {
    std::string name, value;
    Origin origin;
    std::string detail;
  };
  std::vector<Entry> entries_;
};

std::string FormatValue(uint32_t v);
std::string FormatValue(int32_t v);
std::string FormatValue(bool v);
std::string FormatValue(float v);
std::string FormatValue(const std::string& v);

// One setting: the file's value, else the flag, else the layout default (or
// an error when there is none). A flag that disagrees with the file is an
// error naming both values. `flag` is the option's name ("--heads").
template <class T>
T Resolve(SettingsLog& log, const std::string& flag, const std::optional<T>& given,
          const std::optional<FileValue<T>>& file, const std::optional<T>& layout_default,
          const std::string& default_why);

}  // namespace edgeseq::tools
