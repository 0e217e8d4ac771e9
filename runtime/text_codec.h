// Text ↔ ids through a model's vocabularies and tokenizer kinds, and the
// `--ids` line format. Every failure is an Error(kInput) naming what is
// wrong (kModel when the model has no vocabulary).
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loaders/esq_reader.h"
#include "runtime/bpe_tokenizer.h"
#include "runtime/sentencepiece_tokenizer.h"

namespace edgeseq::runtime {

// "12 7 9" → {12, 7, 9}; each id must be a decimal integer below `vocab`.
std::vector<int32_t> ParseIds(std::string_view line, uint32_t vocab);
std::string FormatIds(const std::vector<int32_t>& ids);

// Word mode: a character-level source vocabulary without a space token (e.g.
// grapheme-to-phoneme) reads a line as whitespace-separated words, each a
// source of its own; the CLI and both APIs join the words' outputs with " | ".
bool SourceIsWords(const loaders::EsqFile& file);
// The whitespace-separated words of a line (views into it).
std::vector<std::string_view> SplitWords(std::string_view line);

// One side's text conventions, all from the model's header: the source side
// normalizes text (e.g. ASCII lowercasing), reads out-of-vocabulary tokens as
// its unknown id when the model has one, and frames every source with the
// prefix and suffix ids the model was trained with (e.g. BOS ... EOS). Token
// ids given as ids (ParseIds) get none of this: they are used verbatim.
// SentencePiece sides segment text with the model's SentencePiece model and
// look each piece up in the model's vocabulary (Marian and fairseq-derived
// models number pieces their own way); decoding drops the model's special
// ids and the tokenizer's control pieces. Byte-level BPE sides split text
// with the model's BPE data (runtime/bpe_tokenizer.h) and look each token up
// by its GPT-2 byte-to-unicode spelling (added tokens by their text);
// decoding turns the entries back into bytes, drops special ids, and
// replaces ill-formed UTF-8 (ids cut through a character) with U+FFFD, as
// Hugging Face's decoders do.
class TextCodec {
 public:
  // Throws Error(kModel) if the model carries no vocabulary for that side,
  // or its tokenizer's data does not load (naming what is wrong).
  TextCodec(const loaders::EsqFile& file, bool source);
  // The ids the encoder (source) or the decoder (target) reads: EncodeTokens,
  // then, on the source side, Frame.
  std::vector<int32_t> Encode(std::string_view text, std::vector<std::string>* unknown = nullptr) const;
  // The same with a language token (LanguageId) framed where the model puts
  // it (a source side; language < 0: none).
  std::vector<int32_t> Encode(std::string_view text, int32_t language, std::vector<std::string>* unknown) const;
  // Text to token ids without framing. A token outside the vocabulary becomes
  // the side's unknown id, and is appended to *unknown (when given); without
  // an unknown id it is refused (Error(kInput) naming it). *texts (when
  // given) gets each id's text as it stood in the (normalized) input.
  std::vector<int32_t> EncodeTokens(std::string_view text, std::vector<std::string>* unknown = nullptr,
                                    std::vector<std::string>* texts = nullptr) const;
  // prefix + ids + suffix (the source side's framing; the target side has none);
  // empty ids stay empty: an empty source has nothing to translate.
  std::vector<int32_t> Frame(const std::vector<int32_t>& ids, int32_t language = -1) const;
  // The model's languages (section 9) named by their tokens on this side.
  const std::vector<std::pair<std::string_view, int32_t>>& languages() const { return languages_; }
  // The id of a language's token on this side: `code` is a token's text
  // (`en_XX`, `__en__`, `eng_Latn`) or, when exactly one token matches, the
  // code inside it (`en`, `eng`: the part before '_' or between "__").
  // Error(kInput) naming the choices for an unknown or ambiguous code, or a
  // model without languages on this side.
  int32_t LanguageId(std::string_view code) const;
  // Ids (each below the vocabulary's size; the caller checks) to text. The
  // header's special ids (pad, bos, eos, decoder start) and the tokenizer's
  // own (SentencePiece control pieces, BPE special tokens) are left out
  // unless keep_special. (*replacements)[i], when given (one entry per id)
  // and not empty, is written in place of ids[i]'s token.
  std::string Decode(const std::vector<int32_t>& ids, bool keep_special = false,
                     const std::vector<std::string>* replacements = nullptr) const;
  int32_t unk_id() const { return unk_; }
  size_t prefix_size() const { return prefix_.size(); }  // framing ids before a source's tokens
  size_t suffix_size() const { return suffix_.size(); }  // and after them

 private:
  void IndexBpe();

  const loaders::Vocabulary* vocab_;
  loaders::TokenizerKind kind_;
  std::unordered_map<std::string_view, int32_t> index_;
  int32_t unk_ = -1;
  loaders::TextNormalization normalization_ = loaders::TextNormalization::kNone;
  std::vector<int32_t> prefix_, suffix_;
  bool language_after_suffix_ = false;                          // mBART: tokens </s> lang
  std::vector<std::pair<std::string_view, int32_t>> languages_;  // name, id (this side)
  // A SentencePiece side's special tokens, matched whole before SentencePiece
  // sees the text: (text, id), longest first.
  std::vector<std::pair<std::string_view, int32_t>> special_text_;
  std::shared_ptr<const SentencePieceTokenizer> sp_;  // SentencePiece sides only
  std::vector<bool> sp_piece_;                        //   model id → its token is a piece of sp_
  std::vector<bool> special_;                         // ids decoding drops
  std::shared_ptr<const ByteLevelBpe> bpe_;           // byte-level BPE sides only:
  std::vector<int32_t> bpe_ids_;                      //   tokenizer id → model id (-1: not in the vocabulary)
  std::vector<std::string> bpe_bytes_;                //   model id → the bytes it decodes to
};

// CTranslate2's replace_unknowns: target text in which each of the target's
// unknown ids is replaced by the source token it attends to most: the argmax
// of its attention row (Hypothesis::attention, one row per id, over the
// source ids) among the source text's tokens, framing ids excluded (a source
// cut by max_input_length: among the tokens kept), written as it stood in
// the source text. Without an unknown id in `ids` this is target.Decode(ids);
// attention missing (not one row per id) is Error(kInput).
std::string DecodeReplacingUnknowns(const TextCodec& source, std::string_view source_text, const TextCodec& target,
                                    const std::vector<int32_t>& ids, const std::vector<std::vector<float>>& attention);

}  // namespace edgeseq::runtime
