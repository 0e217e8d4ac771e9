// Byte-level BPE (Radford et al., 2019: GPT-2; Sennrich et al., 2016: BPE),
// the tokenizer of Whisper and BART: text is split by GPT-2's
// pre-tokenization pattern (contractions, letter runs, digit runs, other
// symbols, whitespace; Unicode classes through PCRE2), and each piece's UTF-8
// bytes are merged pairwise, always the pair whose merged bytes rank lowest,
// until no adjacent pair has a rank. A token's id is its rank, as in OpenAI's
// tiktoken files (Whisper's gpt2.tiktoken and multilingual.tiktoken: one
// "base64(bytes) rank" per line). Decoding concatenates the tokens' bytes.
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace edgeseq::runtime {

class ByteLevelBpe {
 public:
  // A .tiktoken file's text. Throws Error(kModel) naming the line for a
  // malformed one (bad base64, a rank that is not the line's number, a
  // repeated token, a single byte missing from the ranks).
  static ByteLevelBpe FromTiktoken(std::string_view text);

  ByteLevelBpe(ByteLevelBpe&&) noexcept;
  ByteLevelBpe& operator=(ByteLevelBpe&&) noexcept;
  ~ByteLevelBpe();

  // UTF-8 text to token ids (Error(kInput) for invalid UTF-8).
  std::vector<int32_t> Encode(std::string_view text) const;
  // Token ids to their bytes, concatenated (a cut through a multi-byte
  // character stays as bytes; callers that need text check UTF-8).
  std::string Decode(const std::vector<int32_t>& ids) const;
  // Tokens (ids 0 .. size-1) and each one's bytes.
  size_t size() const { return tokens_.size(); }
  const std::string& Token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }

 private:
  ByteLevelBpe();
  void MergePiece(std::string_view piece, std::vector<int32_t>* out) const;

  std::vector<std::string> tokens_;                // id → bytes
  std::unordered_map<std::string, int32_t> rank_;  // bytes → id
  struct Regex;
  std::unique_ptr<Regex> regex_;
};

}  // namespace edgeseq::runtime
