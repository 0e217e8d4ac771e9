// Text ↔ ids through a model's vocabularies and tokenizer kinds, and the
// `--ids` line format. Every failure is an Error(kInput) naming what is
// wrong (kModel when the model has no vocabulary).
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loaders/esq_reader.h"

namespace edgeseq::runtime {

// "12 7 9" → {12, 7, 9}; each id must be a decimal integer below `vocab`.
std::vector<int32_t> ParseIds(std::string_view line, uint32_t vocab);
std::string FormatIds(const std::vector<int32_t>& ids);

class TextCodec {
 public:
  // Throws Error(kModel) if the model carries no vocabulary for that side.
  TextCodec(const loaders::EsqFile& file, bool source);
  std::vector<int32_t> Encode(std::string_view text) const;
  std::string Decode(const std::vector<int32_t>& ids) const;

 private:
  const loaders::Vocabulary* vocab_;
  loaders::TokenizerKind kind_;
  std::unordered_map<std::string_view, int32_t> index_;
};

}  // namespace edgeseq::runtime
