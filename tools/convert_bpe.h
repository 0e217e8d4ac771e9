// Byte-level BPE tokenizers for the converter (issue 18): GPT-2/BART
// vocab.json + merges.txt, a Hugging Face tokenizer.json with a BPE model and
// the ByteLevel pre-tokenizer, and OpenAI's .tiktoken files, read into the
// .esq section runtime/bpe_tokenizer.h loads (docs/FORMAT.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace edgeseq::tools {

// bpe:VOCAB.json,MERGES.txt | hf:tokenizer.json | tiktoken:FILE[,SPECIALS.txt]
bool IsBpeTokenizerSpec(const std::string& spec);

struct BpeTokenizerFile {
  std::string section;             // the tokenizer-model section's bytes
  // The tokenizer's own numbering as a model vocabulary (BPE tokens in
  // GPT-2's byte-to-unicode spelling, added tokens as their text): the
  // vocab.json / tokenizer.json ids, or the .tiktoken ranks followed by the
  // SPECIALS.txt lines (one special token a line).
  std::vector<std::string> vocab;
};

// Reads `spec` for `flag` (--src-tokenizer, --tgt-tokenizer). Special tokens:
// tokenizer.json's added tokens (all recognized in text, those marked
// special also dropped when decoding); for bpe: and tiktoken:, the entries of
// the vocabulary (model_vocab when given, else the tokenizer's own) written
// <...> that BPE cannot produce, and SPECIALS.txt's lines. Throws
// ConvertError with one line naming the file, line or entry at fault.
BpeTokenizerFile ReadBpeTokenizer(const std::string& flag, const std::string& spec,
                                  const std::vector<std::string>* model_vocab);

// A .tiktoken file (`path`) whose special tokens follow from its size:
// `specials(size)` gets the file's token count and returns the specials'
// texts in id order (ids size, size+1, ...), or throws ConvertError when the
// file does not fit (Whisper: tools/convert_whisper.h WhisperTiktoken).
BpeTokenizerFile ReadTiktokenWithSpecials(const std::string& flag, const std::string& path,
                                          const std::function<std::vector<std::string>(size_t)>& specials);

// A BPE in ranks mode (ByteLevelBpe::FromRanks: tokens' bytes by rank, as a
// .tiktoken file gives them) with `specials` appended as special added
// tokens (ids size, size+1, ...): the section and the vocabulary
// ReadTiktokenWithSpecials writes for a .tiktoken file.
BpeTokenizerFile RanksWithSpecials(const std::string& flag, std::vector<std::string> token_bytes,
                                   std::vector<std::string> specials);

}  // namespace edgeseq::tools
