// SentencePiece (Kudo & Richardson, 2018), through Debian's libsentencepiece:
// the tokenizer of Marian/OPUS-MT, T5, mBART, M2M100 and NLLB models, loaded
// from the serialized model the .esq file carries (format 1.2, sections 7/8).
// Segmentation and normalization are the library's; edgeseq maps the pieces
// to the model's ids through the model's vocabulary (runtime/text_codec.h),
// because real families number them differently from the .model file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace edgeseq::runtime {

class SentencePieceTokenizer {
 public:
  // The serialized ModelProto (a .model file's bytes). Throws Error(kModel)
  // with the library's message if it does not parse.
  explicit SentencePieceTokenizer(std::string_view model_proto);
  ~SentencePieceTokenizer();
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  // Text (valid UTF-8) to pieces, as the library segments it (no sampling).
  std::vector<std::string> Encode(std::string_view text) const;
  // The library's own ids for the same pieces (the .model file's order).
  std::vector<int> EncodeIds(std::string_view text) const;
  // Pieces back to text: the inverse of Encode for normalized text (byte
  // pieces <0xNN> reassembled, the word-boundary mark turned into spaces).
  std::string Decode(const std::vector<std::string>& pieces) const;
  std::string DecodeIds(const std::vector<int>& ids) const;

  // The model's pieces, in its id order, and whether a piece is a control
  // symbol (<s>, </s>, ...), which decoding drops.
  size_t size() const;
  std::string Piece(int id) const;
  bool IsControl(std::string_view piece) const;
  // Whether `piece` is one of the model's pieces (Decode passes others
  // through verbatim, word-boundary mark included).
  bool HasPiece(std::string_view piece) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeseq::runtime
