#include "runtime/text_codec.h"

#include <algorithm>
#include <charconv>

#include "loaders/utf8.h"
#include "runtime/error.h"

namespace edgeseq::runtime {

namespace {
// SentencePiece's word-boundary mark (U+2581), which a piece carries for the space before it.
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";
}  // namespace

std::vector<int32_t> ParseIds(std::string_view line, uint32_t vocab) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    const std::string_view tok = line.substr(i, j - i);
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (ec != std::errc() || p != tok.data() + tok.size()) {
      throw Error(ErrorKind::kInput, "'" + std::string(tok) + "' is not a token id");
    }
    if (v < 0 || v >= vocab) {
      throw Error(ErrorKind::kInput, "id " + std::string(tok) + " is outside the vocabulary of " + std::to_string(vocab));
    }
    ids.push_back(static_cast<int32_t>(v));
    i = j;
  }
  return ids;
}

std::string FormatIds(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}

TextCodec::TextCodec(const loaders::EsqFile& file, bool source)
    : vocab_(source ? file.src_vocab() : file.tgt_vocab()),
      kind_(source ? file.src_tokenizer() : file.tgt_tokenizer()) {
  if (!vocab_) {
    throw Error(ErrorKind::kModel, std::string("the model has no ") + (source ? "source" : "target") +
                                       " vocabulary; give token ids (--ids)");
  }
  for (size_t i = 0; i < vocab_->tokens.size(); ++i) index_.emplace(vocab_->tokens[i], static_cast<int32_t>(i));
  const loaders::ModelConfig& c = file.config();
  unk_ = source ? c.src_unk_id : c.tgt_unk_id;
  // The header's special ids, and below the tokenizer's own, are left out
  // of decoded text unless asked for.
  special_.assign(vocab_->tokens.size(), false);
  for (int32_t id : {c.pad_id, c.bos_id, c.eos_id, c.decoder_start_id}) {
    if (id >= 0 && static_cast<size_t>(id) < special_.size()) special_[static_cast<size_t>(id)] = true;
  }
  if (kind_ == loaders::TokenizerKind::kSentencePiece) {
    sp_ = std::make_shared<const SentencePieceTokenizer>(source ? file.src_tokenizer_model() : file.tgt_tokenizer_model());
    sp_piece_.resize(special_.size());
    for (size_t i = 0; i < special_.size(); ++i) {
      special_[i] = special_[i] || sp_->IsControl(vocab_->tokens[i]);
      sp_piece_[i] = sp_->HasPiece(vocab_->tokens[i]);
    }
  } else if (kind_ == loaders::TokenizerKind::kByteLevelBpe) {
    try {
      bpe_ = std::make_shared<const ByteLevelBpe>(
          ByteLevelBpe::FromSection(source ? file.src_tokenizer_model() : file.tgt_tokenizer_model()));
    } catch (const Error& e) {
      throw Error(ErrorKind::kModel, std::string(source ? "source" : "target") + " tokenizer: " + e.what());
    }
    IndexBpe();
  }
  if (source) {
    normalization_ = c.src_normalization;
    prefix_ = c.src_prefix;
    suffix_ = c.src_suffix;
  }
  if (const loaders::TextTokens* t = file.text_tokens()) {
    for (int32_t id : source ? t->src_special : t->tgt_special) {
      special_[static_cast<size_t>(id)] = true;
      const std::string_view text = vocab_->tokens[static_cast<size_t>(id)];
      if (!text.empty()) special_text_.emplace_back(text, id);
    }
    std::stable_sort(special_text_.begin(), special_text_.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const loaders::TextTokens::Language& l : t->languages) {
      const int32_t id = source ? l.src_id : l.tgt_id;
      if (id >= 0) languages_.emplace_back(vocab_->tokens[static_cast<size_t>(id)], id);
    }
    language_after_suffix_ = t->source_place == loaders::SourceLanguagePlace::kAfterSuffix;
  }
}

int32_t TextCodec::LanguageId(std::string_view code) const {
  auto list = [&](const std::vector<std::string_view>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 12; ++i) s += (i ? ", " : "") + std::string(names[i]);
    if (names.size() > 12) s += ", ... (" + std::to_string(names.size()) + " in all; edgeseq inspect lists them)";
    return s;
  };
  if (languages_.empty()) throw Error(ErrorKind::kInput, "the model has no language tokens (a language was given)");
  std::vector<std::string_view> all, matches;
  int32_t match = -1;
  for (const auto& [name, id] : languages_) {
    all.push_back(name);
    if (name == code) return id;
  }
  for (const auto& [name, id] : languages_) {
    // The code inside the token: __en__ → en, en_XX → en, eng_Latn → eng.
    std::string_view inner = name;
    if (inner.size() > 4 && inner.substr(0, 2) == "__" && inner.substr(inner.size() - 2) == "__") {
      inner = inner.substr(2, inner.size() - 4);
    } else if (const size_t u = inner.find('_'); u != std::string_view::npos && u > 0) {
      inner = inner.substr(0, u);
    }
    if (!code.empty() && inner == code) {
      matches.push_back(name);
      match = id;
    }
  }
  if (matches.size() == 1) return match;
  if (matches.size() > 1) {
    throw Error(ErrorKind::kInput, "language '" + std::string(code) + "' is ambiguous: " + list(matches));
  }
  throw Error(ErrorKind::kInput, "language '" + std::string(code) + "' is not one of the model's: " + list(all));
}

// The BPE side's two maps, through the model's vocabulary: a token by its
// byte-to-unicode spelling, an added token by its text (which decodes as
// itself; special ones, and the header's special ids, are dropped).
void TextCodec::IndexBpe() {
  const size_t n = bpe_->size();
  bpe_ids_.assign(n + bpe_->added().size(), -1);
  for (size_t i = 0; i < n; ++i) {
    const auto it = index_.find(BytesToUnicode(bpe_->Token(static_cast<int32_t>(i))));
    if (it != index_.end()) bpe_ids_[i] = it->second;
  }
  std::vector<bool> literal(vocab_->tokens.size(), false);
  for (size_t k = 0; k < bpe_->added().size(); ++k) {
    const auto it = index_.find(bpe_->added()[k].text);
    if (it == index_.end()) continue;
    bpe_ids_[n + k] = it->second;
    literal[static_cast<size_t>(it->second)] = true;
    if (bpe_->added()[k].special) special_[static_cast<size_t>(it->second)] = true;
  }
  bpe_bytes_.resize(vocab_->tokens.size());
  for (size_t i = 0; i < vocab_->tokens.size(); ++i) {
    const std::string_view t = vocab_->tokens[i];
    if (literal[i] || !UnicodeToBytes(t, &bpe_bytes_[i])) bpe_bytes_[i].assign(t);
  }
}

std::vector<int32_t> TextCodec::Encode(std::string_view text, std::vector<std::string>* unknown) const {
  return Frame(EncodeTokens(text, unknown));
}

std::vector<int32_t> TextCodec::Encode(std::string_view text, int32_t language, std::vector<std::string>* unknown) const {
  return Frame(EncodeTokens(text, unknown), language);
}

std::vector<int32_t> TextCodec::Frame(const std::vector<int32_t>& ids, int32_t language) const {
  if (ids.empty() || (prefix_.empty() && suffix_.empty() && language < 0)) return ids;  // nothing to translate stays empty
  std::vector<int32_t> out;
  out.reserve(prefix_.size() + ids.size() + suffix_.size() + 1);
  out.insert(out.end(), prefix_.begin(), prefix_.end());
  if (language >= 0 && !language_after_suffix_) out.push_back(language);
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), suffix_.begin(), suffix_.end());
  if (language >= 0 && language_after_suffix_) out.push_back(language);
  return out;
}

std::vector<int32_t> TextCodec::EncodeTokens(std::string_view text, std::vector<std::string>* unknown,
                                             std::vector<std::string>* texts) const {
  if (!loaders::IsValidUtf8(text)) throw Error(ErrorKind::kInput, "the line is not valid UTF-8");
  std::string normalized;
  if (normalization_ != loaders::TextNormalization::kNone) {
    // ASCII only: bytes of multi-byte UTF-8 sequences are all ≥ 0x80, so a
    // byte-wise pass never touches them (’ is matched as its three bytes).
    const bool join = normalization_ == loaders::TextNormalization::kLowercaseJoin;
    normalized.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      const char ch = text[i];
      if (join && (ch == '\'' || ch == '-')) continue;
      if (join && text.substr(i, 3) == "\xE2\x80\x99") {
        i += 2;
        continue;
      }
      normalized.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    }
    text = normalized;
  }
  std::vector<int32_t> ids;
  auto add = [&](std::string_view tok) {
    if (texts) texts->emplace_back(tok);
    const auto it = index_.find(tok);
    if (it != index_.end()) {
      ids.push_back(it->second);
    } else if (unk_ >= 0) {
      ids.push_back(unk_);
      if (unknown) unknown->emplace_back(tok);
    } else {
      // No unknown id (e.g. --src-unk -1 for a model never trained on
      // one): refuse rather than feed it an embedding it never learned.
      throw Error(ErrorKind::kInput, "'" + std::string(tok) +
                                         "' is not in the model's vocabulary (which has no unknown token to read it as)");
    }
  };
  if (kind_ == loaders::TokenizerKind::kSentencePiece) {
    // Special tokens are matched whole (the longest at the earliest
    // position); the text between them goes to SentencePiece on its own.
    size_t from = 0;
    auto segment = [&](std::string_view part) {
      for (const std::string& piece : sp_->Encode(part)) add(piece);
    };
    for (size_t i = 0; i < text.size() && !special_text_.empty();) {
      const auto hit = std::find_if(special_text_.begin(), special_text_.end(),
                                    [&](const auto& s) { return text.substr(i, s.first.size()) == s.first; });
      if (hit == special_text_.end()) {
        ++i;
        continue;
      }
      if (i > from) segment(text.substr(from, i - from));
      if (texts) texts->emplace_back(hit->first);
      ids.push_back(hit->second);
      i += hit->first.size();
      from = i;
    }
    if (from < text.size() || from == 0) segment(text.substr(from));
  } else if (bpe_) {
    for (int32_t t : bpe_->Encode(text)) {
      const int32_t id = bpe_ids_[static_cast<size_t>(t)];
      if (id >= 0) {
        ids.push_back(id);
      } else {
        const size_t n = bpe_->size();
        add(static_cast<size_t>(t) < n ? BytesToUnicode(bpe_->Token(t)) : bpe_->added()[static_cast<size_t>(t) - n].text);
      }
    }
  } else if (kind_ == loaders::TokenizerKind::kCharacters) {
    for (size_t i = 0; i < text.size();) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
      add(text.substr(i, len));
      i += len;
    }
  } else {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
      size_t j = i;
      while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\r') ++j;
      if (j > i) add(text.substr(i, j - i));
      i = j;
    }
  }
  return ids;
}

std::string TextCodec::Decode(const std::vector<int32_t>& ids, bool keep_special,
                              const std::vector<std::string>* replacements) const {
  // replacements[i], when given and not empty, stands for ids[i]'s token.
  auto replaced = [&](size_t i) { return replacements && !(*replacements)[i].empty(); };
  auto dropped = [&](size_t i) { return !keep_special && special_[static_cast<size_t>(ids[i])]; };
  if (sp_) {
    // Runs of pieces go through SentencePiece; a special token kept
    // (keep_special) is written as its text between runs, as Hugging Face's
    // tokenizers write it (SentencePiece would write a control piece as
    // nothing). A token SentencePiece does not know (a replacement, a
    // vocabulary entry of the model's own) keeps its text, its word-boundary
    // marks turned into the spaces they stand for.
    std::string out;
    std::vector<std::string> run;
    auto flush = [&] {
      if (run.empty()) return;
      if (!out.empty() && run.front().rfind(kSpaceMark, 0) == 0) out += ' ';  // the mark SentencePiece drops first
      out += sp_->Decode(run);
      run.clear();
    };
    auto literal = [&](std::string p) {
      for (size_t at; (at = p.find(kSpaceMark)) != std::string::npos;) p.replace(at, kSpaceMark.size(), " ");
      if (run.empty() && out.empty() && !p.empty() && p[0] == ' ') p.erase(0, 1);  // as the first piece's mark
      run.push_back(std::move(p));
    };
    for (size_t i = 0; i < ids.size(); ++i) {
      const size_t id = static_cast<size_t>(ids[i]);
      if (replaced(i)) {
        literal((*replacements)[i]);
      } else if (dropped(i)) {
        continue;
      } else if (special_[id]) {
        flush();
        out += vocab_->tokens[id];
      } else if (!sp_piece_[id]) {
        literal(std::string(vocab_->tokens[id]));
      } else {
        run.emplace_back(vocab_->tokens[id]);
      }
    }
    flush();
    return out;
  }
  if (bpe_) {
    std::string bytes;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (replaced(i)) {
        bytes += (*replacements)[i];
      } else if (!dropped(i)) {
        bytes += bpe_bytes_[static_cast<size_t>(ids[i])];
      }
    }
    return loaders::Utf8Lossy(bytes);
  }
  std::string s;
  bool first = true;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replaced(i) && dropped(i)) continue;
    if (kind_ == loaders::TokenizerKind::kWhitespace && !first) s += ' ';
    s += replaced(i) ? std::string_view((*replacements)[i]) : std::string_view(vocab_->tokens[static_cast<size_t>(ids[i])]);
    first = false;
  }
  return s;
}

std::string DecodeReplacingUnknowns(const TextCodec& source, std::string_view source_text, const TextCodec& target,
                                    const std::vector<int32_t>& ids,
                                    const std::vector<std::vector<float>>& attention) {
  if (target.unk_id() < 0 || std::find(ids.begin(), ids.end(), target.unk_id()) == ids.end()) {
    return target.Decode(ids);
  }
  if (attention.size() != ids.size()) {
    throw Error(ErrorKind::kInput, "replace_unknowns needs the hypothesis's attention (one row per id: generate "
                                   "with replace_unknowns or return_attention)");
  }
  std::vector<std::string> texts;
  const size_t n = source.EncodeTokens(source_text, nullptr, &texts).size();
  const size_t first = source.prefix_size();  // the framing ids are not the user's tokens (as CTranslate2)
  std::vector<std::string> replacements(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != target.unk_id()) continue;
    // A source cut by max_input_length keeps its framing and loses its last tokens.
    const std::vector<float>& a = attention[i];
    const size_t framed = first + source.suffix_size();
    const size_t m = std::min(n, a.size() > framed ? a.size() - framed : 0);
    if (m == 0) continue;
    const size_t at = static_cast<size_t>(std::max_element(a.begin() + first, a.begin() + first + m) - a.begin());
    replacements[i] = texts[at - first];
  }
  return target.Decode(ids, false, &replacements);
}

bool SourceIsWords(const loaders::EsqFile& file) {
  const loaders::Vocabulary* v = file.src_vocab();
  if (!v || file.src_tokenizer() != loaders::TokenizerKind::kCharacters) return false;
  return std::find(v->tokens.begin(), v->tokens.end(), std::string_view(" ")) == v->tokens.end();
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    size_t j = i;
    while (j < line.size() && !space(line[j])) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

}  // namespace edgeseq::runtime
