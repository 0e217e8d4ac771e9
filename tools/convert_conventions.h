// The conventions a model file records beside its weights because they change
// outputs (docs/FORMAT.md, header version 1.1): each vocabulary's unknown id,
// the source framing (prefix and suffix ids around every text source), the
// source text normalization, and the parameters of sinusoidal positions.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <vector>

#include "loaders/esq_format.h"
#include "tools/convert.h"
#include "tools/convert_settings.h"

namespace edgeseq::tools {

// "none" → {}; "2" or "2,7" → the ids. Throws ConvertError naming `flag`.
std::vector<int32_t> ParseIdList(const std::string& flag, const std::string& text);
// "none" | "lowercase". Throws ConvertError naming --src-normalize.
loaders::TextNormalization ParseNormalization(const std::string& text);

// Sets c.src_unk_id, c.tgt_unk_id, c.src_prefix, c.src_suffix and
// c.src_normalization from the options, or from the defaults:
//   --src-unk / --tgt-unk: `unk` (the --unk value) for both;
//   --src-prefix / --src-suffix: with the built-in torch-transformer layout
//     (`tutorial_layout`) {bos} and {eos}, as PyTorch's translation tutorial
//     frames every source (its special ids are the same in both
//     vocabularies); otherwise none;
//   --src-normalize: none.
// c's vocabulary sizes must be set; ids outside them are errors naming the flag.
// Each setting goes into `settings` with its origin (the summary, --strict).
// `file`: values the input records (unknown ids, framing) used where no flag
// is given; a flag that contradicts one is an error naming both.
void SetTextConventions(const ConvertOptions& o, bool tutorial_layout, int32_t unk, int32_t bos, int32_t eos,
                        loaders::ModelConfig& c, SettingsLog& settings, const FileSettings* file = nullptr);

// A stored position table [rows, dim] that some sinusoidal parameterization
// computes (within `tolerance`, which covers f16 storage): which one.
struct SinusoidMatch {
  loaders::PositionKind kind;  // kSinusoidalInterleaved or kSinusoidalConcat
  loaders::PositionFrequencies frequencies;
  uint32_t offset;  // row r is position r + offset
};
// Tries both layouts, both frequency formulas and offsets 0 to max_offset.
std::optional<SinusoidMatch> MatchSinusoid(const std::vector<float>& table, uint64_t rows, uint32_t dim,
                                           uint32_t max_offset = 2, float tolerance = 1e-3f);

}  // namespace edgeseq::tools
