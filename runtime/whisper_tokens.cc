#include "runtime/whisper_tokens.h"

#include <stdio.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "runtime/error.h"

namespace edgeseq::runtime {

const char* const kWhisperLanguageCodes[kWhisperMaxLanguages] = {
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
    "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
    "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
    "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
    "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
    "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue"};

const char* const kWhisperLanguageNames[kWhisperMaxLanguages] = {
    "english", "chinese", "german", "spanish", "russian", "korean", "french", "japanese", "portuguese", "turkish",
    "polish", "catalan", "dutch", "arabic", "swedish", "italian", "indonesian", "hindi", "finnish", "vietnamese",
    "hebrew", "ukrainian", "greek", "malay", "czech", "romanian", "danish", "hungarian", "tamil", "norwegian",
    "thai", "urdu", "croatian", "bulgarian", "lithuanian", "latin", "maori", "malayalam", "welsh", "slovak",
    "telugu", "persian", "latvian", "bengali", "serbian", "azerbaijani", "slovenian", "kannada", "estonian",
    "macedonian", "breton", "basque", "icelandic", "armenian", "nepali", "mongolian", "bosnian", "kazakh",
    "albanian", "swahili", "galician", "marathi", "punjabi", "sinhala", "khmer", "shona", "yoruba", "somali",
    "afrikaans", "occitan", "georgian", "belarusian", "tajik", "sindhi", "gujarati", "amharic", "yiddish", "lao",
    "uzbek", "faroese", "haitian creole", "pashto", "turkmen", "nynorsk", "maltese", "sanskrit", "luxembourgish",
    "myanmar", "tibetan", "tagalog", "malagasy", "assamese", "tatar", "hawaiian", "lingala", "hausa", "bashkir",
    "javanese", "sundanese", "cantonese"};

namespace {

// Specials besides the languages and timestamps: EOT, SOT and the six after
// the languages.
constexpr size_t kFixedSpecials = 8;

}  // namespace

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return lower;
}

std::string WhisperLanguageCode(std::string_view language) {
  const std::string lower = AsciiLower(language);
  for (size_t k = 0; k < kWhisperMaxLanguages; ++k) {
    if (lower == kWhisperLanguageCodes[k] || lower == kWhisperLanguageNames[k]) return kWhisperLanguageCodes[k];
  }
  // tokenizer.py's TO_LANGUAGE_CODE adds these other names.
  static const std::pair<const char*, const char*> kAliases[] = {
      {"burmese", "my"},   {"valencian", "ca"}, {"flemish", "nl"},   {"haitian", "ht"},
      {"letzeburgesch", "lb"}, {"pushto", "ps"}, {"panjabi", "pa"},  {"moldavian", "ro"},
      {"moldovan", "ro"},  {"sinhalese", "si"}, {"castilian", "es"}, {"mandarin", "zh"}};
  for (const auto& [name, code] : kAliases) {
    if (lower == name) return code;
  }
  return {};
}

int32_t WhisperTokenIds::Language(std::string_view code) const {
  for (size_t k = 0; k < language_codes.size(); ++k) {
    if (language_codes[k] == code) return first_language + static_cast<int32_t>(k);
  }
  return -1;
}

WhisperVocabulary WhisperSpecialTokens(size_t tiktoken_size, bool multilingual, size_t num_languages) {
  if (num_languages < 1 || num_languages > kWhisperMaxLanguages) {
    throw Error(ErrorKind::kModel, "a Whisper model has 1 to 100 languages, not " + std::to_string(num_languages));
  }
  const size_t total = tiktoken_size + kFixedSpecials + num_languages + kWhisperTimestamps;
  if (total > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error(ErrorKind::kModel, "a Whisper vocabulary of " + std::to_string(total) + " ids is too large");
  }
  WhisperVocabulary v;
  WhisperTokenIds& ids = v.ids;
  auto add = [&](std::string text) {
    v.specials.push_back(std::move(text));
    return static_cast<int32_t>(tiktoken_size + v.specials.size() - 1);
  };
  v.specials.reserve(total - tiktoken_size);
  ids.eot = add("<|endoftext|>");
  ids.sot = add("<|startoftranscript|>");
  for (size_t k = 0; k < num_languages; ++k) {
    const int32_t id = add(std::string("<|") + kWhisperLanguageCodes[k] + "|>");
    if (k == 0) ids.first_language = id;
    ids.language_codes.emplace_back(kWhisperLanguageCodes[k]);
  }
  ids.num_languages = static_cast<int32_t>(num_languages);
  ids.translate = add("<|translate|>");
  ids.transcribe = add("<|transcribe|>");
  ids.sot_lm = add("<|startoflm|>");
  ids.sot_prev = add("<|startofprev|>");
  ids.no_speech = add("<|nospeech|>");
  ids.no_timestamps = add("<|notimestamps|>");
  for (int32_t t = 0; t < kWhisperTimestamps; ++t) {
    // Python's f"{t * 0.02:.2f}": t·2 hundredths, exactly.
    char text[24];
    snprintf(text, sizeof text, "<|%d.%02d|>", t * 2 / 100, t * 2 % 100);
    const int32_t id = add(text);
    if (t == 0) ids.timestamp_begin = id;
  }
  ids.vocab_size = static_cast<int32_t>(total);
  ids.multilingual = multilingual;
  return v;
}

WhisperLayout WhisperLayoutFromVocabSize(size_t n_vocab) {
  WhisperLayout l;
  l.multilingual = n_vocab >= 51865;
  const size_t base = 51765 + (l.multilingual ? 1 : 0);
  if (n_vocab <= base || n_vocab - base > kWhisperMaxLanguages) {
    throw Error(ErrorKind::kModel, "a vocabulary of " + std::to_string(n_vocab) +
                                       " ids is not Whisper's (51865 + languages − 99, or 51864 English-only)");
  }
  l.num_languages = n_vocab - base;
  l.tiktoken_size = n_vocab - kFixedSpecials - l.num_languages - kWhisperTimestamps;
  return l;
}

namespace {

// Python's str.isspace() code points.
bool IsPythonSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// The code point starting at text[at] and its length (a malformed byte: itself,
// length 1; Encode reports invalid UTF-8).
std::pair<uint32_t, size_t> CodePointAt(std::string_view text, size_t at) {
  const auto b = static_cast<unsigned char>(text[at]);
  const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 1;
  if (len == 1 || at + len > text.size()) return {b, 1};
  uint32_t c = b & (0xff >> (len + 1));
  for (size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3f);
  return {c, len};
}

}  // namespace

std::vector<int32_t> WhisperPromptTokens(const ByteLevelBpe& bpe, std::string_view text) {
  // Strip from the front, then from the back (walking forward over the rest).
  size_t begin = 0;
  while (begin < text.size()) {
    const auto [c, len] = CodePointAt(text, begin);
    if (!IsPythonSpace(c)) break;
    begin += len;
  }
  size_t end = begin;
  for (size_t at = begin; at < text.size();) {
    const auto [c, len] = CodePointAt(text, at);
    at += len;
    if (!IsPythonSpace(c)) end = at;
  }
  std::string spaced = " ";
  spaced.append(text.substr(begin, end - begin));
  return bpe.Encode(spaced);
}

std::vector<int32_t> WhisperStartSequence(const WhisperTokenIds& ids, const WhisperStart& start) {
  std::vector<int32_t> out;
  if (!start.prompt.empty()) {
    const size_t keep = std::min(start.prompt.size(), start.n_text_ctx / 2 >= 1 ? start.n_text_ctx / 2 - 1 : 0);
    out.push_back(ids.sot_prev);
    out.insert(out.end(), start.prompt.end() - static_cast<ptrdiff_t>(keep), start.prompt.end());
  }
  out.push_back(ids.sot);
  if (ids.multilingual) {
    const std::string_view code = start.language.empty() ? std::string_view("en") : start.language;
    const int32_t lang = ids.Language(code);
    if (lang < 0) throw Error(ErrorKind::kInput, "the model has no language '" + std::string(code) + "'");
    out.push_back(lang);
    out.push_back(start.task == WhisperTask::kTranslate ? ids.translate : ids.transcribe);
  }
  if (!start.timestamps) out.push_back(ids.no_timestamps);
  out.insert(out.end(), start.prefix.begin(), start.prefix.end());
  return out;
}

}  // namespace edgeseq::runtime
