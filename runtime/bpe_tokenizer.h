// Byte-level BPE (Radford et al., 2019: GPT-2; Sennrich et al., 2016: BPE),
// the tokenizer of BART, GPT-2 and Whisper: text is split by GPT-2's
// pre-tokenization pattern (contractions, letter runs, digit runs, other
// symbols, whitespace; Unicode classes through PCRE2), and each piece's UTF-8
// bytes are merged pairwise, always the adjacent pair of lowest merge rank
// (the leftmost of equals), until no adjacent pair has a rank.
//
// Two ways to rank a pair, one per source family:
//  - merges (GPT-2's merges.txt, a Hugging Face tokenizer.json): the rank is
//    the pair's line in the merge list, as Hugging Face's BPE model does it;
//  - ranks (OpenAI's .tiktoken files: one "base64(bytes) rank" per line): a
//    pair's rank is the rank of its concatenated bytes, and a piece that is a
//    token as a whole stays whole, as tiktoken does it.
//
// Added tokens (e.g. "<s>", "</s>", "<|endoftext|>") are strings found in the
// text before pre-tokenization (the longest one at the earliest position)
// and never split, as Hugging Face's tokenizers do; "special" ones are
// those decoding leaves out.
//
// Tokenizer ids: 0 .. size()-1 are the BPE tokens (for .tiktoken files, the
// ranks), size() .. size()+added()-1 the added tokens in their order. A model
// numbers them its own way; runtime/text_codec.h maps between the two through
// the model's vocabulary (GPT-2's byte-to-unicode spelling of each token).
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edgeseq::runtime {

struct AddedToken {
  std::string text;      // UTF-8, not empty
  bool special = false;  // decoding leaves it out
};

class ByteLevelBpe {
 public:
  // A .tiktoken file's text. Throws Error(kModel) naming the line for a
  // malformed one (bad base64, a rank that is not the line's number, a
  // repeated token, a single byte missing from the ranks).
  static ByteLevelBpe FromTiktoken(std::string_view text);
  // Tokens' bytes by rank (ranks mode, as FromTiktoken).
  static ByteLevelBpe FromRanks(std::vector<std::string> tokens);
  // Tokens' bytes by id, and the merges by rank as pairs of ids, each pair's
  // bytes concatenated a token. Error(kModel) naming what is wrong.
  static ByteLevelBpe FromMerges(std::vector<std::string> tokens, const std::vector<std::pair<int32_t, int32_t>>& merges);
  // The .esq tokenizer-model section of a byte-level BPE side (docs/FORMAT.md,
  // "Byte-level BPE"); every count, length and id is checked: Error(kModel)
  // naming what is wrong.
  static ByteLevelBpe FromSection(std::string_view bytes);
  // That section's bytes. Error(kModel) for what the format cannot hold (a
  // token over 65535 bytes).
  std::string ToSection() const;

  ByteLevelBpe(ByteLevelBpe&&) noexcept;
  ByteLevelBpe& operator=(ByteLevelBpe&&) noexcept;
  ~ByteLevelBpe();

  // Error(kModel) for an empty text, invalid UTF-8 or a repeated text.
  void SetAddedTokens(std::vector<AddedToken> added);
  // Hugging Face's ByteLevel add_prefix_space: a space before every run of
  // text (between added tokens) that does not start with one.
  void set_add_prefix_space(bool on) { add_prefix_space_ = on; }
  bool add_prefix_space() const { return add_prefix_space_; }

  // UTF-8 text to tokenizer ids (Error(kInput) for invalid UTF-8).
  std::vector<int32_t> Encode(std::string_view text) const;
  // Tokenizer ids to their bytes, concatenated (added tokens as their text,
  // special ones too). A cut through a multi-byte character stays as bytes:
  // callers that need text repair it (loaders::Utf8Lossy).
  std::string Decode(const std::vector<int32_t>& ids) const;

  // BPE tokens (ids 0 .. size-1) and each one's bytes.
  size_t size() const { return tokens_.size(); }
  const std::string& Token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  const std::vector<AddedToken>& added() const { return added_; }
  bool ranks_mode() const { return ranks_mode_; }

 private:
  ByteLevelBpe();
  void Index();  // rank_, byte_ids_, the regex
  void AddMerge(int32_t left, int32_t right, int32_t rank, int32_t result);
  void EncodeText(std::string_view text, std::vector<int32_t>* out) const;
  void MergePiece(std::string_view piece, std::vector<int32_t>* out) const;
  void MergeLongPiece(std::string_view piece, std::vector<int32_t>* out) const;

  std::vector<std::string> tokens_;                          // id → bytes
  std::unordered_map<std::string, int32_t> rank_;            // bytes → id
  int32_t byte_ids_[256] = {};                               // each single byte's id
  std::vector<std::pair<int32_t, int32_t>> merges_;          // merges mode: the list, by rank
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> pairs_;  // (left, right) → (rank, result)
  bool ranks_mode_ = false;
  bool add_prefix_space_ = false;
  std::vector<AddedToken> added_;
  std::unordered_map<std::string_view, int32_t> added_index_;  // text → id; views into added_
  bool added_starts_[256] = {};                               // first bytes of added tokens
  size_t added_longest_ = 0;
  struct Regex;
  std::unique_ptr<Regex> regex_;
};

// GPT-2's byte-to-unicode spelling, used by vocab.json, merges.txt and
// tokenizer.json (and so by the model vocabularies edgeseq stores): each byte
// is one code point, printable Latin-1 bytes themselves, the others U+0100
// and up. BytesToUnicode spells bytes that way (UTF-8); UnicodeToBytes
// reverses it, false when a character is not a byte's spelling.
std::string BytesToUnicode(std::string_view bytes);
bool UnicodeToBytes(std::string_view text, std::string* bytes);

}  // namespace edgeseq::runtime
