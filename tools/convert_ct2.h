// CTranslate2 model directories as converter input: model.bin (read by
// loaders/checkpoint_ct2.h), config.json when present, and the vocabularies.
// This is the family's mapping: CTranslate2's TransformerSpec names onto the
// .esq roles, its scalar flags (num_heads, pre_norm, activation, the
// embedding scale) and its conventions (special tokens, source framing,
// sinusoidal positions from 1 with tensor2tensor frequencies) as settings
// read from the file. Specs edgeseq cannot run are refused in one line.
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

struct Ct2Source {
  std::string description;              // "CTranslate2 TransformerBase, binary version 2, ..."
  loaders::Checkpoint checkpoint;       // tensors under their current CTranslate2 names
  Mapping mapping;
  FileSettings file;
  std::optional<FileValue<float>> eps;  // config.json layer_norm_epsilon (else CTranslate2's 1e-5)
  // No stored position table: CTranslate2 computes its sinusoid (sin | cos,
  // frequencies 10000^(-i/(d/2-1)), positions from 1).
  bool computed_positions = false;
  std::vector<std::string> src_vocab, tgt_vocab;  // as CTranslate2 reads them (<unk> appended if absent)
  std::string src_vocab_file, tgt_vocab_file;     // where they came from
  // The decoder's alignment: decoder/alignment_heads (0: all) and
  // decoder/alignment_layer (negative: from the end) when model.bin has
  // them, else CTranslate2's defaults (1 head, layer -1).
  int alignment_heads = 1;
  int alignment_layer = -1;
  std::set<std::string> consumed;       // flag variables read as settings (not tensors to convert)
  // WhisperSpec: the log-mel encoder's sizes, and the target tokenizer
  // (tools/convert_whisper.h WhisperDirTokenizerSpec over vocabulary.json;
  // empty when the vocabulary is none of Whisper's sizes).
  std::optional<LogMelDims> log_mel;
  std::string whisper_tokenizer;
  std::vector<std::string> notes;       // for the log
};

// Whether `path` is a directory holding a model.bin.
bool IsCt2ModelDir(const std::string& path);

// Reads and validates the directory; throws ConvertError (one line) for
// damaged files and for specs and features edgeseq does not run.
Ct2Source ReadCt2Source(const std::string& dir);

}  // namespace edgeseq::tools
