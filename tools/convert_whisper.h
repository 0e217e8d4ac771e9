// Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale
// Weak Supervision"; openai/whisper whisper/model.py) from openai-whisper's
// checkpoints: torch.save({"dims": {...}, "model_state_dict": {...}}). The
// tensor mapping onto the .esq roles and the settings the dims imply
// (docs/CONVERTER.md, "Whisper").
#pragma once

#include <stdint.h>

#include <map>
#include <string>

#include "loaders/checkpoint.h"
#include "tools/convert_bpe.h"
#include "tools/convert_mapping.h"
#include "tools/convert_settings.h"

namespace edgeseq::tools {

// Whether `ck` is an openai-whisper checkpoint: a dict with "dims" beside
// the state dict, which has encoder.conv1.weight.
bool IsWhisperCheckpoint(const loaders::Checkpoint& ck);

// What a log-mel encoder's header needs (format 1.4).
struct LogMelDims {
  uint32_t n_mels = 0;
  uint32_t audio_ctx = 0;    // encoder positions (n_audio_ctx, max_source_positions: 1500 for 30 s)
  uint32_t text_ctx = 0;     // decoder positions (n_text_ctx, max_target_positions: 448)
};

struct WhisperSettings {
  Mapping mapping;
  FileSettings file;         // heads, pre-LN, GELU, eps 1e-5, embedding scale 1, no pad/BOS/UNK, EOS and start
                             // from the vocabulary size when it is one of Whisper's (else unset)
  LogMelDims dims;
  uint32_t vocab = 0;        // n_vocab
  std::string description;   // for the settings summary
};

// Reads the dims (Checkpoint::ints "dims.*") and the mapping. Throws
// ConvertError naming the key for a missing or out-of-range dim, or for
// what the runtime does not compute (encoder and decoder of different
// widths or head counts).
WhisperSettings FromWhisperCheckpoint(const loaders::Checkpoint& ck);

// The mapping of either layout's names onto the .esq roles: openai-whisper's
// (encoder.blocks.N.attn.query, ...) or Hugging Face's
// (model.encoder.layers.N.self_attn.q_proj, ..., proj_out.weight an alias
// of the token table).
Mapping WhisperMapping(bool hugging_face);
// The same for CTranslate2's WhisperSpec variables (encoder/conv1/weight,
// .../self_attention/linear_0 with q, k, v fused, position_encodings per
// stack, decoder/projection/weight an alias of decoder/embeddings/weight).
Mapping WhisperCt2Mapping();

// The settings every Whisper has (pre-LN, GELU, eps 1e-5, embedding scale 1,
// no pad, BOS or unknown id, no source framing), `where` naming the source.
void SetWhisperConventions(const std::string& where, FileSettings& f);

// Whisper's convolutions [d, in, 3] as the .esq roles' tap-major matrices
// [d, 3·in] (column k·in + i = weight[o, i, k]).
std::vector<float> ConvToTapMajor(const std::vector<float>& w, uint64_t out, uint64_t in);

// Whisper's tokenizer for a model of `n_vocab` tokens (--tgt-tokenizer
// tiktoken:FILE without SPECIALS): the .tiktoken file's tokens followed by
// Whisper's special tokens (runtime/whisper_tokens.h WhisperSpecialTokens,
// laid out as WhisperLayoutFromVocabSize says; openai/whisper tokenizer.py),
// all of them special (decoding drops them), n_vocab entries in all.
// ConvertError naming the file when n_vocab is none of Whisper's or the
// file's size is not the one the layout needs (gpt2.tiktoken, 50256 tokens,
// for English-only models; multilingual.tiktoken, 50257, otherwise).
BpeTokenizerFile WhisperTiktoken(const std::string& flag, const std::string& path, uint32_t n_vocab);

// The spec a Hugging Face Whisper directory's tokenizer files get as the
// target tokenizer ("whisper-dir:DIR"), when DIR has tokenizer.json or
// vocab.json + merges.txt; empty when it has neither.
std::string WhisperDirTokenizerSpec(const std::string& dir);
bool IsWhisperDirTokenizerSpec(const std::string& spec);

// Whisper's tokenizer from a Hugging Face directory (spec from
// WhisperDirTokenizerSpec): tokenizer.json (model.vocab, model.merges,
// added_tokens), else vocab.json + merges.txt (+ added_tokens.json). The
// files must be Whisper's tokenizer as transformers converts it from the
// .tiktoken file: ids below the layout's tiktoken size are the BPE tokens
// by rank (ids 0-255 the single bytes, merge i making id 256 + i from two
// lower ids; ids no merge makes are empty, as multilingual.tiktoken's
// 50256), and every other entry is Whisper's special token of that id
// (older files call <|nospeech|> <|nocaptions|>, and may lack the
// timestamps). Written exactly as WhisperTiktoken writes the .tiktoken
// file. ConvertError naming the file and entry otherwise.
BpeTokenizerFile WhisperDirTokenizer(const std::string& flag, const std::string& spec, uint32_t n_vocab);

}  // namespace edgeseq::tools
