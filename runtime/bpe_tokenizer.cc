#include "runtime/bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <limits>

#include "loaders/utf8.h"
#include "runtime/error.h"

namespace edgeseq::runtime {
namespace {

// GPT-2's pre-tokenization pattern (as tiktoken's "gpt2" encoding and
// Whisper use it).
constexpr char kGpt2Pattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// RFC 4648 base64 with padding; false on anything else. Padding alone
// ("=") is the empty string, as Python's decoder (and so tiktoken) reads it:
// Whisper's files end with "= 50256", an empty token holding that rank.
bool DecodeBase64(std::string_view in, std::string* out) {
  if (!in.empty() && in.find_first_not_of('=') == std::string_view::npos && in.size() < 4) {
    out->clear();
    return true;
  }
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.empty() || in.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return false;  // data after padding
        v[k] = value(c);
        if (v[k] < 0) return false;
      }
    }
    const uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

}  // namespace

struct ByteLevelBpe::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

ByteLevelBpe::ByteLevelBpe() = default;
ByteLevelBpe::ByteLevelBpe(ByteLevelBpe&&) noexcept = default;
ByteLevelBpe& ByteLevelBpe::operator=(ByteLevelBpe&&) noexcept = default;
ByteLevelBpe::~ByteLevelBpe() = default;

ByteLevelBpe ByteLevelBpe::FromTiktoken(std::string_view text) {
  ByteLevelBpe b;
  size_t line_no = 0;
  auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::kModel, "tiktoken line " + std::to_string(line_no) + ": " + why);
  };
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) fail("expected 'base64 rank'");
    std::string bytes;
    if (!DecodeBase64(line.substr(0, sp), &bytes)) fail("'" + std::string(line.substr(0, sp)) + "' is not base64");
    const std::string_view r = line.substr(sp + 1);
    uint64_t rank = 0;
    if (r.empty() || r.size() > 9) fail("bad rank '" + std::string(r) + "'");
    for (char c : r) {
      if (c < '0' || c > '9') fail("bad rank '" + std::string(r) + "'");
      rank = rank * 10 + static_cast<uint64_t>(c - '0');
    }
    if (rank != b.tokens_.size()) {
      fail("rank " + std::to_string(rank) + " where " + std::to_string(b.tokens_.size()) + " is next");
    }
    if (!b.rank_.emplace(bytes, static_cast<int32_t>(rank)).second) fail("a repeated token");
    b.tokens_.push_back(std::move(bytes));
  }
  // Every byte must be a token of its own, or some text would have no ids.
  for (int c = 0; c < 256; ++c) {
    if (!b.rank_.count(std::string(1, static_cast<char>(c)))) {
      throw Error(ErrorKind::kModel, "tiktoken: byte " + std::to_string(c) + " has no rank");
    }
  }
  b.regex_ = std::make_unique<Regex>();
  int err = 0;
  PCRE2_SIZE offset = 0;
  b.regex_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern), PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
  if (!b.regex_->code) throw Error(ErrorKind::kModel, "the GPT-2 pre-tokenization pattern does not compile");
  pcre2_jit_compile(b.regex_->code, PCRE2_JIT_COMPLETE);  // where PCRE2 has a JIT; else it interprets
  return b;
}

// Byte-pair merging of one pre-tokenized piece: parts start as single bytes;
// the adjacent pair whose concatenation has the lowest rank merges, until no
// pair has one (quadratic in the piece's length, which is a word).
void ByteLevelBpe::MergePiece(std::string_view piece, std::vector<int32_t>* out) const {
  if (const auto whole = rank_.find(std::string(piece)); whole != rank_.end()) {
    out->push_back(whole->second);
    return;
  }
  std::vector<size_t> starts(piece.size() + 1);  // part i = piece[starts[i], starts[i+1])
  for (size_t i = 0; i <= piece.size(); ++i) starts[i] = i;
  std::string key;
  while (starts.size() > 2) {
    int32_t best = std::numeric_limits<int32_t>::max();
    size_t at = 0;
    for (size_t i = 0; i + 2 < starts.size(); ++i) {
      key.assign(piece.substr(starts[i], starts[i + 2] - starts[i]));
      const auto it = rank_.find(key);
      if (it != rank_.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    }
    if (best == std::numeric_limits<int32_t>::max()) break;
    starts.erase(starts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    key.assign(piece.substr(starts[i], starts[i + 1] - starts[i]));
    out->push_back(rank_.at(key));
  }
}

std::vector<int32_t> ByteLevelBpe::Encode(std::string_view text) const {
  if (!loaders::IsValidUtf8(text)) throw Error(ErrorKind::kInput, "the text is not valid UTF-8");
  std::vector<int32_t> ids;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(regex_->code, nullptr);
  if (!md) throw std::bad_alloc();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0;
  while (at < text.size()) {
    const int rc = pcre2_match(regex_->code, subject, text.size(), at, PCRE2_NO_UTF_CHECK, md, nullptr);
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    // The pattern matches every character, so a match starts where the last
    // one ended; were it ever otherwise, the bytes in between (or left at
    // the end) still become tokens rather than vanish.
    const size_t begin = rc < 0 ? text.size() : ov[0], end = rc < 0 ? text.size() : ov[1];
    if (begin > at) MergePiece(text.substr(at, begin - at), &ids);
    if (end <= begin) {
      at = begin;
      if (rc >= 0) {
        // An empty match (impossible with this pattern): step one character on.
        size_t next = begin + 1;
        while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
        if (next > text.size()) break;
        MergePiece(text.substr(begin, next - begin), &ids);
        at = next;
      }
      continue;
    }
    MergePiece(text.substr(begin, end - begin), &ids);
    at = end;
  }
  pcre2_match_data_free(md);
  return ids;
}

std::string ByteLevelBpe::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) {
      throw Error(ErrorKind::kInput, "token id " + std::to_string(id) + " is outside the tokenizer's " +
                                         std::to_string(tokens_.size()));
    }
    out += tokens_[static_cast<size_t>(id)];
  }
  return out;
}

}  // namespace edgeseq::runtime
