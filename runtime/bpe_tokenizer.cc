#include "runtime/bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string.h>

#include <functional>
#include <limits>
#include <queue>
#include <unordered_set>

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

uint64_t PairKey(int32_t left, int32_t right) {
  return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
}

// Byte b's code point in GPT-2's spelling: printable Latin-1 stays itself,
// the other 68 bytes take U+0100 onwards in byte order.
struct ByteSpelling {
  uint32_t code[256];
  std::unordered_map<uint32_t, uint8_t> byte;
  ByteSpelling() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      code[b] = printable ? b : next++;
      byte[code[b]] = static_cast<uint8_t>(b);
    }
  }
};
const ByteSpelling& Spelling() {
  static const ByteSpelling s;
  return s;
}

// Little-endian fields of a section, every read bounds-checked.
struct SectionCursor {
  std::string_view bytes;
  size_t at = 0;
  [[noreturn]] void Fail(const std::string& why) const {
    throw Error(ErrorKind::kModel, "byte-level BPE section: " + why + " (at byte " + std::to_string(at) + ")");
  }
  std::string_view Take(size_t n, const char* what) {
    if (n > bytes.size() - at) Fail(std::string(what) + " runs past the section's " + std::to_string(bytes.size()) + " bytes");
    const std::string_view v = bytes.substr(at, n);
    at += n;
    return v;
  }
  template <typename T>
  T Read(const char* what) {
    T v;
    memcpy(&v, Take(sizeof(T), what).data(), sizeof(T));
    return v;
  }
};

template <typename T>
void Append(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Pieces up to this many bytes merge by rescanning (faster for words).
constexpr size_t kShortPiece = 24;

constexpr uint32_t kSectionVersion = 1;
constexpr uint32_t kFlagRanks = 1, kFlagPrefixSpace = 2;
constexpr uint8_t kAddedSpecial = 1;
constexpr uint32_t kMaxTokens = 1u << 24, kMaxAdded = 1u << 16;


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
  std::vector<std::string> tokens;
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
    if (rank != tokens.size()) fail("rank " + std::to_string(rank) + " where " + std::to_string(tokens.size()) + " is next");
    if (tokens.size() >= kMaxTokens) fail("more than " + std::to_string(kMaxTokens) + " tokens");
    tokens.push_back(std::move(bytes));
  }
  return FromRanks(std::move(tokens));
}

void ByteLevelBpe::Index() {
  if (tokens_.size() > kMaxTokens) {
    throw Error(ErrorKind::kModel, "byte-level BPE: more than " + std::to_string(kMaxTokens) + " tokens");
  }
  rank_.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const auto [it, fresh] = rank_.emplace(tokens_[i], static_cast<int32_t>(i));
    if (!fresh) {
      throw Error(ErrorKind::kModel, "byte-level BPE: token " + std::to_string(i) + " repeats token " +
                                         std::to_string(it->second) + " (a repeated token)");
    }
  }
  // Every byte must be a token of its own, or some text would have no ids.
  for (int c = 0; c < 256; ++c) {
    const auto it = rank_.find(std::string(1, static_cast<char>(c)));
    if (it == rank_.end()) throw Error(ErrorKind::kModel, "byte-level BPE: byte " + std::to_string(c) + " has no rank");
    byte_ids_[c] = it->second;
  }
  regex_ = std::make_unique<Regex>();
  int err = 0;
  PCRE2_SIZE offset = 0;
  regex_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                               &err, &offset, nullptr);
  if (!regex_->code) throw Error(ErrorKind::kModel, "the GPT-2 pre-tokenization pattern does not compile");
  pcre2_jit_compile(regex_->code, PCRE2_JIT_COMPLETE);  // where PCRE2 has a JIT; else it interprets
}

void ByteLevelBpe::AddMerge(int32_t left, int32_t right, int32_t rank, int32_t result) {
  pairs_.emplace(PairKey(left, right), std::pair{rank, result});
}

ByteLevelBpe ByteLevelBpe::FromRanks(std::vector<std::string> tokens) {
  ByteLevelBpe b;
  b.tokens_ = std::move(tokens);
  b.ranks_mode_ = true;
  b.Index();
  // tiktoken merges the adjacent pair whose bytes, together, rank lowest:
  // every way to cut a token into two tokens is such a pair.
  for (size_t id = 0; id < b.tokens_.size(); ++id) {
    const std::string& t = b.tokens_[id];
    for (size_t k = 1; k < t.size(); ++k) {
      const auto l = b.rank_.find(t.substr(0, k));
      if (l == b.rank_.end()) continue;
      const auto r = b.rank_.find(t.substr(k));
      if (r != b.rank_.end()) b.AddMerge(l->second, r->second, static_cast<int32_t>(id), static_cast<int32_t>(id));
    }
  }
  return b;
}

ByteLevelBpe ByteLevelBpe::FromMerges(std::vector<std::string> tokens,
                                      const std::vector<std::pair<int32_t, int32_t>>& merges) {
  ByteLevelBpe b;
  b.tokens_ = std::move(tokens);
  b.Index();
  if (merges.size() > kMaxTokens) throw Error(ErrorKind::kModel, "byte-level BPE: more than " + std::to_string(kMaxTokens) + " merges");
  b.merges_ = merges;
  b.pairs_.reserve(merges.size());
  const int32_t n = static_cast<int32_t>(b.tokens_.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto [l, r] = merges[i];
    const std::string where = "byte-level BPE: merge " + std::to_string(i);
    if (l < 0 || l >= n || r < 0 || r >= n) throw Error(ErrorKind::kModel, where + " names a token outside the " + std::to_string(n));
    const auto it = b.rank_.find(b.tokens_[static_cast<size_t>(l)] + b.tokens_[static_cast<size_t>(r)]);
    if (it == b.rank_.end()) throw Error(ErrorKind::kModel, where + ": its two tokens together are not a token");
    if (!b.pairs_.emplace(PairKey(l, r), std::pair{static_cast<int32_t>(i), it->second}).second) {
      throw Error(ErrorKind::kModel, where + " repeats an earlier merge");
    }
  }
  return b;
}

void ByteLevelBpe::SetAddedTokens(std::vector<AddedToken> added) {
  if (added.size() > kMaxAdded) throw Error(ErrorKind::kModel, "byte-level BPE: more than " + std::to_string(kMaxAdded) + " added tokens");
  added_ = std::move(added);
  added_index_.clear();
  std::fill(std::begin(added_starts_), std::end(added_starts_), false);
  added_longest_ = 0;
  for (size_t i = 0; i < added_.size(); ++i) {
    const std::string& t = added_[i].text;
    const std::string where = "byte-level BPE: added token " + std::to_string(i);
    if (t.empty() || t.size() > 0xFFFF) throw Error(ErrorKind::kModel, where + " is empty or over 65535 bytes");
    if (!loaders::IsValidUtf8(t)) throw Error(ErrorKind::kModel, where + " is not valid UTF-8");
    if (!added_index_.emplace(t, static_cast<int32_t>(tokens_.size() + i)).second) {
      throw Error(ErrorKind::kModel, where + " ('" + t + "') repeats an earlier one");
    }
    added_starts_[static_cast<unsigned char>(t[0])] = true;
    added_longest_ = std::max(added_longest_, t.size());
  }
}

std::string ByteLevelBpe::ToSection() const {
  std::string out;
  Append(&out, kSectionVersion);
  Append(&out, (ranks_mode_ ? kFlagRanks : 0u) | (add_prefix_space_ ? kFlagPrefixSpace : 0u));
  Append(&out, static_cast<uint32_t>(tokens_.size()));
  Append(&out, static_cast<uint32_t>(merges_.size()));
  Append(&out, static_cast<uint32_t>(added_.size()));
  for (const std::string& t : tokens_) {
    if (t.size() > 0xFFFF) throw Error(ErrorKind::kModel, "byte-level BPE: a token over 65535 bytes");
    Append(&out, static_cast<uint16_t>(t.size()));
    out += t;
  }
  for (const auto& [l, r] : merges_) {
    Append(&out, static_cast<uint32_t>(l));
    Append(&out, static_cast<uint32_t>(r));
  }
  for (const AddedToken& a : added_) {
    Append(&out, static_cast<uint8_t>(a.special ? kAddedSpecial : 0));
    Append(&out, static_cast<uint16_t>(a.text.size()));
    out += a.text;
  }
  return out;
}

ByteLevelBpe ByteLevelBpe::FromSection(std::string_view bytes) {
  SectionCursor c{bytes};
  const uint32_t version = c.Read<uint32_t>("the version");
  if (version != kSectionVersion) c.Fail("version " + std::to_string(version) + ", this build reads 1");
  const uint32_t flags = c.Read<uint32_t>("the flags");
  if (flags & ~(kFlagRanks | kFlagPrefixSpace)) c.Fail("unknown flags " + std::to_string(flags));
  const uint32_t n_tokens = c.Read<uint32_t>("the token count");
  const uint32_t n_merges = c.Read<uint32_t>("the merge count");
  const uint32_t n_added = c.Read<uint32_t>("the added-token count");
  if (n_tokens < 256 || n_tokens > kMaxTokens) c.Fail(std::to_string(n_tokens) + " tokens (256 to 2^24)");
  if (n_merges > kMaxTokens || n_added > kMaxAdded) c.Fail("too many merges or added tokens");
  if ((flags & kFlagRanks) && n_merges) c.Fail("ranked tokens with a merge list");
  // Each token takes at least its 2-byte length: a count the section cannot
  // hold fails before anything is allocated for it.
  if (uint64_t{n_tokens} * 2 + uint64_t{n_merges} * 8 + uint64_t{n_added} * 4 > bytes.size() - c.at) {
    c.Fail("the counts need more bytes than the section has");
  }
  std::vector<std::string> tokens(n_tokens);
  for (std::string& t : tokens) {
    const uint16_t len = c.Read<uint16_t>("a token's length");
    t.assign(c.Take(len, "a token"));
  }
  std::vector<std::pair<int32_t, int32_t>> merges(n_merges);
  for (auto& [l, r] : merges) {
    const uint32_t a = c.Read<uint32_t>("a merge"), b = c.Read<uint32_t>("a merge");
    if (a >= n_tokens || b >= n_tokens) c.Fail("a merge names a token outside the " + std::to_string(n_tokens));
    l = static_cast<int32_t>(a);
    r = static_cast<int32_t>(b);
  }
  std::vector<AddedToken> added(n_added);
  for (AddedToken& a : added) {
    const uint8_t f = c.Read<uint8_t>("an added token's flags");
    if (f & ~kAddedSpecial) c.Fail("unknown added-token flags " + std::to_string(f));
    const uint16_t len = c.Read<uint16_t>("an added token's length");
    a.text.assign(c.Take(len, "an added token"));
    a.special = f & kAddedSpecial;
  }
  if (c.at != bytes.size()) c.Fail(std::to_string(bytes.size() - c.at) + " bytes after the last added token");
  try {
    ByteLevelBpe b = (flags & kFlagRanks) ? FromRanks(std::move(tokens)) : FromMerges(std::move(tokens), merges);
    b.add_prefix_space_ = flags & kFlagPrefixSpace;
    b.SetAddedTokens(std::move(added));
    return b;
  } catch (const Error& e) {
    throw Error(ErrorKind::kModel, std::string("byte-level BPE section: ") + e.what());
  }
}

// Byte-pair merging of one pre-tokenized piece: parts start as single bytes;
// the adjacent pair of lowest rank merges (the leftmost of equals), until no
// pair has one. A short piece (a word) rescans its pairs after each merge;
// a long one (a run of CJK letters or of spaces is one piece) keeps its
// candidate pairs in a heap, so that its cost grows as n log n, not n².
void ByteLevelBpe::MergePiece(std::string_view piece, std::vector<int32_t>* out) const {
  if (ranks_mode_) {
    if (const auto whole = rank_.find(std::string(piece)); whole != rank_.end()) {
      out->push_back(whole->second);
      return;
    }
  }
  if (piece.size() > kShortPiece) {
    MergeLongPiece(piece, out);
    return;
  }
  std::vector<int32_t> parts(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) parts[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
  while (parts.size() > 1) {
    int32_t best = std::numeric_limits<int32_t>::max(), result = 0;
    size_t at = 0;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      const auto it = pairs_.find(PairKey(parts[i], parts[i + 1]));
      if (it != pairs_.end() && it->second.first < best) {
        best = it->second.first;
        result = it->second.second;
        at = i;
      }
    }
    if (best == std::numeric_limits<int32_t>::max()) break;
    parts[at] = result;
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  out->insert(out->end(), parts.begin(), parts.end());
}

void ByteLevelBpe::MergeLongPiece(std::string_view piece, std::vector<int32_t>* out) const {
  // Parts as a linked list over the piece's byte positions; a removed part
  // has id -1. A candidate is a pair that was adjacent when pushed: it still
  // applies if the same two ids are still there.
  struct Part {
    int32_t id, next;
  };
  struct Candidate {
    int32_t rank, at, left, right, result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : at > o.at; }
  };
  const int32_t n = static_cast<int32_t>(piece.size());
  std::vector<Part> parts(piece.size());
  std::vector<int32_t> prev(piece.size());
  for (int32_t i = 0; i < n; ++i) {
    parts[i] = {byte_ids_[static_cast<unsigned char>(piece[static_cast<size_t>(i)])], i + 1 < n ? i + 1 : -1};
    prev[i] = i - 1;
  }
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push = [&](int32_t at) {
    if (at < 0 || parts[at].next < 0) return;
    const int32_t l = parts[at].id, r = parts[parts[at].next].id;
    const auto it = pairs_.find(PairKey(l, r));
    if (it != pairs_.end()) heap.push({it->second.first, at, l, r, it->second.second});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const int32_t next = parts[c.at].next;
    if (parts[c.at].id != c.left || next < 0 || parts[next].id != c.right) continue;  // stale
    parts[c.at].id = c.result;
    parts[c.at].next = parts[next].next;
    if (parts[next].next >= 0) prev[parts[next].next] = c.at;
    parts[next].id = -1;
    push(prev[c.at]);
    push(c.at);
  }
  for (int32_t i = 0; i >= 0; i = parts[i].next) out->push_back(parts[i].id);
}

// Text between added tokens: the optional prefix space, then GPT-2's pieces.
void ByteLevelBpe::EncodeText(std::string_view text, std::vector<int32_t>* ids) const {
  if (text.empty()) return;
  std::string prefixed;
  if (add_prefix_space_ && text[0] != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
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
    if (begin > at) MergePiece(text.substr(at, begin - at), ids);
    if (end <= begin) {
      at = begin;
      if (rc >= 0) {
        // An empty match (impossible with this pattern): step one character on.
        size_t next = begin + 1;
        while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
        MergePiece(text.substr(begin, next - begin), ids);
        at = next;
      }
      continue;
    }
    MergePiece(text.substr(begin, end - begin), ids);
    at = end;
  }
  pcre2_match_data_free(md);
}

std::vector<int32_t> ByteLevelBpe::Encode(std::string_view text) const {
  if (!loaders::IsValidUtf8(text)) throw Error(ErrorKind::kInput, "the text is not valid UTF-8");
  std::vector<int32_t> ids;
  if (added_.empty()) {
    EncodeText(text, &ids);
    return ids;
  }
  // Added tokens first: the longest one at the earliest position; the text
  // between them goes through BPE.
  size_t from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!added_starts_[static_cast<unsigned char>(text[i])]) continue;
    for (size_t len = std::min(added_longest_, text.size() - i); len > 0; --len) {
      const auto it = added_index_.find(text.substr(i, len));
      if (it == added_index_.end()) continue;
      EncodeText(text.substr(from, i - from), &ids);
      ids.push_back(it->second);
      from = i + len;
      i = from - 1;
      break;
    }
  }
  EncodeText(text.substr(from), &ids);
  return ids;
}

std::string ByteLevelBpe::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size() + added_.size()) {
      throw Error(ErrorKind::kInput, "token id " + std::to_string(id) + " is outside the tokenizer's " +
                                         std::to_string(tokens_.size() + added_.size()));
    }
    out += static_cast<size_t>(id) < tokens_.size() ? tokens_[static_cast<size_t>(id)]
                                                    : added_[static_cast<size_t>(id) - tokens_.size()].text;
  }
  return out;
}

std::string BytesToUnicode(std::string_view bytes) {
  std::string out;
  for (char ch : bytes) {
    const uint32_t cp = Spelling().code[static_cast<unsigned char>(ch)];
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {  // all below U+0800: two bytes
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

bool UnicodeToBytes(std::string_view text, std::string* bytes) {
  bytes->clear();
  const auto& byte = Spelling().byte;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    uint32_t cp;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      return false;  // beyond U+07FF: no byte's spelling
    }
    const auto it = byte.find(cp);
    if (it == byte.end()) return false;
    bytes->push_back(static_cast<char>(it->second));
  }
  return true;
}

}  // namespace edgeseq::runtime
