#include "runtime/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "runtime/error.h"

namespace edgeseq::runtime {

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};

namespace {

void Check(const sentencepiece::util::Status& s, const char* what) {
  if (!s.ok()) throw Error(ErrorKind::kInput, std::string("SentencePiece ") + what + ": " + s.ToString());
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::string_view model_proto) : impl_(std::make_unique<Impl>()) {
  const auto s = impl_->sp.LoadFromSerializedProto(model_proto);
  if (!s.ok()) throw Error(ErrorKind::kModel, "the SentencePiece model does not load: " + s.ToString());
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<std::string> SentencePieceTokenizer::Encode(std::string_view text) const {
  std::vector<std::string> pieces;
  Check(impl_->sp.Encode(text, &pieces), "encoding");
  return pieces;
}

std::vector<int> SentencePieceTokenizer::EncodeIds(std::string_view text) const {
  std::vector<int> ids;
  Check(impl_->sp.Encode(text, &ids), "encoding");
  return ids;
}

std::string SentencePieceTokenizer::Decode(const std::vector<std::string>& pieces) const {
  std::string text;
  Check(impl_->sp.Decode(pieces, &text), "decoding");
  return text;
}

std::string SentencePieceTokenizer::DecodeIds(const std::vector<int>& ids) const {
  std::string text;
  Check(impl_->sp.Decode(ids, &text), "decoding");
  return text;
}

size_t SentencePieceTokenizer::size() const { return static_cast<size_t>(impl_->sp.GetPieceSize()); }

std::string SentencePieceTokenizer::Piece(int id) const { return impl_->sp.IdToPiece(id); }

bool SentencePieceTokenizer::IsControl(std::string_view piece) const {
  const int id = impl_->sp.PieceToId(piece);
  return impl_->sp.IsControl(id) && impl_->sp.IdToPiece(id) == piece;
}

bool SentencePieceTokenizer::HasPiece(std::string_view piece) const {
  return impl_->sp.IdToPiece(impl_->sp.PieceToId(piece)) == piece;
}

}  // namespace edgeseq::runtime
