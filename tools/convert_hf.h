// Hugging Face checkpoint directories as converter input (what
// save_pretrained writes): config.json, the weights (loaders/checkpoint_hf.h:
// model.safetensors, pytorch_model.bin, or their sharded index), and
// generation_config.json when present. config.json's model_type picks the
// family; each family is one small function (tools/convert_hf.cc, the table
// Families()) that gives the tensor-name mapping onto the .esq roles and the
// settings the family fixes (norm placement, positions, embedding norm,
// scale, special ids, source framing). Families edgeseq does not read yet are
// refused in one line naming the ones it does.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "loaders/checkpoint.h"
#include "loaders/esq_format.h"
#include "tools/convert_mapping.h"
#include "tools/convert_settings.h"
#include "tools/convert_whisper.h"

namespace edgeseq::tools {

// A tokenizer file beside the weights, as the converter's flags would give it:
// `spec` as --src-tokenizer / --tgt-tokenizer take it (sentencepiece:FILE,
// bpe:VOCAB.json,MERGES.txt, hf:tokenizer.json), `vocab` the token strings by
// model id that map the tokenizer's pieces to the model's ids (as --src-vocab
// / --tgt-vocab; empty: the tokenizer's own numbering is the model's).
struct HfTokenizer {
  std::string spec;
  std::vector<std::string> vocab;
  std::string where;  // the files and the family's rule, for the settings summary
  // Entries of vocab matched whole in text, and left out of decoded text
  // (T5's sentinels, language codes, <mask>; the header's special ids are
  // added by ReadTokenizerFiles).
  std::vector<std::string> special;
};

struct HfSource {
  std::string description;        // "Hugging Face marian checkpoint (model.safetensors)"
  std::string model_type;         // config.json model_type
  loaders::Checkpoint checkpoint; // tensors under their Hugging Face names (position tables
                                  // without their unused rows, final_logits_bias as [V])
  Mapping mapping;
  FileSettings file;              // every setting the converter resolves, each with its origin
  // Positions as the family computes them. Learned tables are mapping roles
  // (encoder./decoder.embed_positions.weight), max_positions rows each.
  loaders::PositionKind position_kind = loaders::PositionKind::kNone;
  loaders::PositionFrequencies position_frequencies = loaders::PositionFrequencies::kPaper;
  uint32_t position_offset = 0;
  uint32_t max_positions = 0;     // config.json max_position_embeddings (1 … Limits::kMaxPositions)
  std::string position_detail;    // for the settings summary
  // Whisper: a log-mel encoder (format 1.4); max_positions is then the
  // encoder's (max_source_positions).
  std::optional<LogMelDims> log_mel;
  std::set<std::string> consumed; // tensors read as settings or dropped on purpose (aliases, computed tables)
  std::vector<std::string> notes; // for the log: what was read, what is not recorded
  // The family's tokenizer files, when the directory holds them (else ids
  // only, with a note).
  std::optional<HfTokenizer> src_tokenizer, tgt_tokenizer;
  // Multilingual families: the language tokens (entries of both
  // vocabularies) and where each side's goes (loaders::TextTokens).
  std::vector<std::string> languages;
  loaders::SourceLanguagePlace source_language_place = loaders::SourceLanguagePlace::kNone;
  loaders::TargetLanguagePlace target_language_place = loaders::TargetLanguagePlace::kNone;
};

// Whether `path` is a directory holding config.json (and no CTranslate2
// model.bin, which convert_ct2.h reads).
bool IsHfModelDir(const std::string& path);

// The model_type values a family function exists for, comma-separated.
std::string HfSupportedModelTypes();

// Reads and validates the directory; throws ConvertError (one line) for an
// unknown model_type, config values out of range or contradicting the
// tensors, and damaged or inconsistent weight files.
HfSource ReadHfSource(const std::string& dir);

}  // namespace edgeseq::tools
