// Whisper's special tokens and start-of-transcript sequence (issue 20), as
// openai/whisper defines them (whisper/tokenizer.py: LANGUAGES, get_encoding,
// Tokenizer; whisper/decoding.py: DecodingTask._get_initial_tokens;
// whisper/model.py: is_multilingual, num_languages).
//
// A Whisper vocabulary is a .tiktoken file's T BPE tokens (ids 0 .. T-1, the
// ranks: T = 50256 for gpt2.tiktoken, the English-only models; 50257 for
// multilingual.tiktoken) followed by the specials, in this order:
//
//   <|endoftext|>                     T        (EOT)
//   <|startoftranscript|>             T+1      (SOT)
//   <|en|> <|zh|> ... one per language T+2 ..  (L = 99; 100 for large-v3's
//                                              128-mel models, which add <|yue|>)
//   <|translate|> <|transcribe|> <|startoflm|> <|startofprev|> <|nospeech|>
//   <|notimestamps|>                  T+2+L .. T+7+L
//   <|0.00|> <|0.02|> ... <|30.00|>   T+8+L .. (1501 timestamps, 0.02 s apart)
//
// so multilingual.tiktoken with 99 languages gives EOT 50257, SOT 50258,
// <|en|> 50259, <|transcribe|> 50359, <|notimestamps|> 50363, <|0.00|> 50364,
// 51865 ids; gpt2.tiktoken gives each one less (51864 ids). English-only
// models carry the same language tokens (unused). Tokenizer ids of a
// ByteLevelBpe read from the .tiktoken file with these as its added tokens
// (runtime/bpe_tokenizer.h) are the model's ids.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/bpe_tokenizer.h"

namespace edgeseq::runtime {

// Whisper's LANGUAGES table, in its order ("en", "zh", "de", ... "su", "yue").
// A model with L languages has the first L.
inline constexpr size_t kWhisperMaxLanguages = 100;
extern const char* const kWhisperLanguageCodes[kWhisperMaxLanguages];
// Their names in the same order ("english", "chinese", ... "cantonese"), as tokenizer.py's LANGUAGES.
extern const char* const kWhisperLanguageNames[kWhisperMaxLanguages];
// A code or a name of Whisper's languages, any ASCII case ("de", "DE", "German", and
// tokenizer.py's other names such as "castilian" or "mandarin"), as its code ("de");
// empty when it is none of them. Whether a model has it: WhisperTokenIds::Language.
std::string WhisperLanguageCode(std::string_view language);
// ASCII A-Z lowered, other bytes kept (case-insensitive language names and flag words).
std::string AsciiLower(std::string_view text);
// <|0.00|> ... <|30.00|>: one per 0.02 s of a 30 s window.
inline constexpr int32_t kWhisperTimestamps = 1501;
inline constexpr double kWhisperTimestampSeconds = 0.02;

// The ids a Whisper decoder needs.
struct WhisperTokenIds {
  int32_t eot = -1;             // <|endoftext|>: ends a transcript
  int32_t sot = -1;             // <|startoftranscript|>
  int32_t first_language = -1;  // <|en|>; language k is first_language + k
  int32_t num_languages = 0;
  int32_t translate = -1;
  int32_t transcribe = -1;
  int32_t sot_lm = -1;          // <|startoflm|>
  int32_t sot_prev = -1;        // <|startofprev|>: before a prompt (previous text)
  int32_t no_speech = -1;       // <|nospeech|>
  int32_t no_timestamps = -1;   // <|notimestamps|>
  int32_t timestamp_begin = -1; // <|0.00|>; <|t|> is timestamp_begin + t / 0.02
  int32_t vocab_size = 0;       // all ids: timestamp_begin + 1501
  bool multilingual = false;    // SOT sequences name a language and a task
  std::vector<std::string> language_codes;  // num_languages codes, in id order

  bool IsTimestamp(int32_t id) const { return id >= timestamp_begin; }
  bool IsLanguage(int32_t id) const { return id >= first_language && id < first_language + num_languages; }
  // The id of language `code` ("en", "yue"), or -1 when the model has none.
  int32_t Language(std::string_view code) const;
};

struct WhisperVocabulary {
  // The specials' texts in id order: specials[k] has id tiktoken_size + k.
  std::vector<std::string> specials;
  WhisperTokenIds ids;
};

// Whisper's specials after a .tiktoken file of `tiktoken_size` tokens, with
// the first `num_languages` (1 .. 100) language tokens. `multilingual` only
// decides the SOT sequence (English-only models: SOT alone). Error(kModel)
// for a language count out of range or a size that leaves ids beyond int32.
WhisperVocabulary WhisperSpecialTokens(size_t tiktoken_size, bool multilingual, size_t num_languages = 99);

// What a model's vocabulary size says (whisper/model.py): multilingual when
// n_vocab ≥ 51865, with n_vocab − 51765 − multilingual languages (51864:
// English-only, 99; 51865: multilingual, 99; 51866: large-v3, 100).
// Error(kModel) when that is not 1 .. 100 languages.
struct WhisperLayout {
  bool multilingual = false;
  size_t num_languages = 0;
  size_t tiktoken_size = 0;  // 50256 (gpt2.tiktoken) or 50257 (multilingual.tiktoken)
};
WhisperLayout WhisperLayoutFromVocabSize(size_t n_vocab);

enum class WhisperTask { kTranscribe, kTranslate };

struct WhisperStart {
  // A code of ids.language_codes; empty: "en" (as DecodingTask). English-only
  // models ignore it (and the task).
  std::string_view language;
  WhisperTask task = WhisperTask::kTranscribe;
  // false: <|notimestamps|> ends the SOT sequence (Whisper's without_timestamps;
  // its default, like WhisperRuleOptions', is timestamps on).
  bool timestamps = true;
  // Ids of the previous text (Whisper encodes a prompt string as
  // " " + prompt.strip()); only its last n_text_ctx/2 − 1 are kept.
  std::vector<int32_t> prompt;
  // Ids that start the transcript (Whisper's `prefix` with its default
  // sample_len = n_text_ctx/2, which keeps them all).
  std::vector<int32_t> prefix;
  size_t n_text_ctx = 448;    // the decoder's positions
};

// A prompt or prefix text as Whisper encodes it (decoding.py, transcribe.py):
// the BPE ids of " " + text.strip() (Python's strip: Unicode whitespace at
// both ends). `bpe`: the model's .tiktoken BPE. Error(kInput) for invalid
// UTF-8. (tiktoken refuses special-token texts in it; a BPE with Whisper's
// specials as added tokens reads them as those tokens.)
std::vector<int32_t> WhisperPromptTokens(const ByteLevelBpe& bpe, std::string_view text);

// The decoder's initial tokens (DecodingTask._get_initial_tokens):
//   [<|startofprev|> prompt...]  <|startoftranscript|>  [<|lang|> <|task|>]
//   [<|notimestamps|>]  [prefix...]
// (language and task for multilingual models only). Sampling begins after
// them; the SOT token is at index 0, or prompt-kept + 1 with a prompt.
// Error(kInput) for a language the model does not have.
std::vector<int32_t> WhisperStartSequence(const WhisperTokenIds& ids, const WhisperStart& start);

}  // namespace edgeseq::runtime
