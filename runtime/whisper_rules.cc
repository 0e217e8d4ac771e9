#include "runtime/whisper_rules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "runtime/error.h"
#include "runtime/search.h"

namespace edgeseq::runtime {
namespace {

bool Disabled(float v) { return !(v > kDisabledBelow); }

void Disable(std::span<float> logits, size_t begin, size_t end) {
  end = std::min(end, logits.size());
  for (size_t k = begin; k < end; ++k) logits[k] = kDisabledLogit;
}

void CheckRow(const WhisperTokenIds& ids, size_t size) {
  if (size != static_cast<size_t>(ids.vocab_size)) {
    throw Error(ErrorKind::kInput, "Whisper logits have " + std::to_string(ids.vocab_size) + " entries, not " +
                                       std::to_string(size));
  }
}

}  // namespace

std::vector<int32_t> WhisperNonSpeechTokens(const ByteLevelBpe& bpe) {
  // tokenizer.py's lists: single symbols, then space-separated multi-character ones.
  static constexpr std::string_view kSymbols[] = {
      "\"", "#", "(", ")", "*", "+", "/", ":", ";", "<", "=", ">", "@", "[", "\\", "]", "^", "_", "`", "{", "|",
      "}", "~", "「", "」", "『", "』", "<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('", "(\"", "((",
      "))", "(((", ")))", "[[", "]]", "{{", "}}", "♪♪", "♪♪♪"};
  // U+2640..U+267F music symbols: their first token is suppressed even when
  // they take several (their UTF-8 forms share the first two bytes).
  static constexpr std::string_view kMusic[] = {"♩", "♪", "♫", "♬", "♭", "♮", "♯"};
  std::vector<int32_t> out;
  auto first = [&](std::string_view text) {
    const auto t = bpe.Encode(text);
    if (!t.empty()) out.push_back(t[0]);
  };
  first(" -");
  first(" '");
  for (std::string_view s : kSymbols) {
    for (const std::string& text : {std::string(s), " " + std::string(s)}) {
      const auto t = bpe.Encode(text);
      if (t.size() == 1) out.push_back(t[0]);
    }
  }
  for (std::string_view s : kMusic) {
    first(s);
    first(" " + std::string(s));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<int32_t> WhisperSuppressTokens(const ByteLevelBpe& bpe, const WhisperTokenIds& ids,
                                           const std::vector<int32_t>& requested) {
  std::vector<int32_t> out;
  bool non_speech = false;
  for (int32_t t : requested) {
    if (t == -1) {
      non_speech = true;
    } else if (t < 0 || t >= ids.vocab_size) {
      throw Error(ErrorKind::kInput, "suppressed token " + std::to_string(t) + " is not in the vocabulary (0 .. " +
                                         std::to_string(ids.vocab_size - 1) + ", or -1)");
    } else {
      out.push_back(t);
    }
  }
  if (non_speech) {
    const auto ns = WhisperNonSpeechTokens(bpe);
    out.insert(out.end(), ns.begin(), ns.end());
  }
  out.insert(out.end(), {ids.transcribe, ids.translate, ids.sot, ids.sot_prev, ids.sot_lm, ids.no_speech});
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void WhisperApplyTimestampRules(const WhisperTokenIds& ids, std::span<float> logits, std::span<const int32_t> sampled,
                                int32_t max_initial_index) {
  CheckRow(ids, logits.size());
  const size_t tb = static_cast<size_t>(ids.timestamp_begin);
  logits[static_cast<size_t>(ids.no_timestamps)] = kDisabledLogit;

  const size_t n = sampled.size();
  const bool last_was = n >= 1 && ids.IsTimestamp(sampled[n - 1]);
  const bool penultimate_was = n < 2 || ids.IsTimestamp(sampled[n - 2]);
  if (last_was) {
    if (penultimate_was) {
      Disable(logits, tb, logits.size());  // a pair (or a lone first one) is done: text next
    } else {
      Disable(logits, 0, static_cast<size_t>(ids.eot));  // a segment is open: close it (or end)
    }
  }
  int32_t last_timestamp = -1;
  for (int32_t t : sampled) {
    if (ids.IsTimestamp(t)) last_timestamp = t;
  }
  if (last_timestamp >= 0) {
    // Never decreasing; equal only right after a closing timestamp.
    const int32_t end = (last_was && !penultimate_was) ? last_timestamp : last_timestamp + 1;
    Disable(logits, tb, static_cast<size_t>(end));
  }
  if (n == 0) {
    Disable(logits, 0, tb);
    if (max_initial_index >= 0) Disable(logits, tb + static_cast<size_t>(max_initial_index) + 1, logits.size());
  }

  // Timestamps' total probability against the best other token's: the
  // softmax's normalizer cancels, so compare logsumexp(timestamps) with
  // max(others) on the logits themselves.
  double best_text = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < tb; ++k) {
    if (!Disabled(logits[k])) best_text = std::max(best_text, static_cast<double>(logits[k]));
  }
  double top = -std::numeric_limits<double>::infinity();
  for (size_t k = tb; k < logits.size(); ++k) {
    if (!Disabled(logits[k])) top = std::max(top, static_cast<double>(logits[k]));
  }
  if (std::isinf(top)) return;  // no timestamp may come
  double sum = 0.0;
  for (size_t k = tb; k < logits.size(); ++k) {
    if (!Disabled(logits[k])) sum += std::exp(static_cast<double>(logits[k]) - top);
  }
  if (top + std::log(sum) > best_text) Disable(logits, 0, tb);
}

WhisperLogitFilters::WhisperLogitFilters(const WhisperTokenIds& ids, const ByteLevelBpe& bpe,
                                         const WhisperRuleOptions& o)
    : ids_(ids), suppress_blank_(o.suppress_blank), timestamps_(o.timestamps) {
  blank_ = bpe.Encode(" ");
  blank_.push_back(ids.eot);
  if (!o.suppress_tokens.empty()) suppress_ = WhisperSuppressTokens(bpe, ids, o.suppress_tokens);
  if (!(o.max_initial_timestamp >= 0.0)) {
    throw Error(ErrorKind::kInput, "max_initial_timestamp must be 0 (none) or more seconds");
  }
  if (o.max_initial_timestamp > 0.0) {
    // Python's round(): halves to even, as nearbyint in the default mode.
    const double index = std::nearbyint(o.max_initial_timestamp / kWhisperTimestampSeconds);
    max_initial_index_ = static_cast<int32_t>(std::min(index, static_cast<double>(kWhisperTimestamps)));
  }
}

void WhisperLogitFilters::Apply(std::span<float> logits, std::span<const int32_t> sampled) const {
  CheckRow(ids_, logits.size());
  if (suppress_blank_ && sampled.empty()) {
    for (int32_t t : blank_) logits[static_cast<size_t>(t)] = kDisabledLogit;
  }
  for (int32_t t : suppress_) logits[static_cast<size_t>(t)] = kDisabledLogit;
  if (timestamps_) WhisperApplyTimestampRules(ids_, logits, sampled, max_initial_index_);
}

WhisperLanguageGuess WhisperDetectLanguage(const WhisperTokenIds& ids, std::span<const float> logits) {
  if (!ids.multilingual) throw Error(ErrorKind::kInput, "an English-only Whisper model cannot detect the language");
  CheckRow(ids, logits.size());
  WhisperLanguageGuess g;
  const auto lang = logits.subspan(static_cast<size_t>(ids.first_language), static_cast<size_t>(ids.num_languages));
  size_t best = lang.size();
  for (size_t k = 0; k < lang.size(); ++k) {
    if (!Disabled(lang[k]) && (best == lang.size() || lang[k] > lang[best])) best = k;
  }
  if (best == lang.size()) throw Error(ErrorKind::kInput, "every language token is disabled");
  double sum = 0.0;
  for (float v : lang) sum += Disabled(v) ? 0.0 : std::exp(static_cast<double>(v) - lang[best]);
  g.probs.reserve(lang.size());
  for (float v : lang) {
    g.probs.push_back(Disabled(v) ? 0.0f : static_cast<float>(std::exp(static_cast<double>(v) - lang[best]) / sum));
  }
  g.token = ids.first_language + static_cast<int32_t>(best);
  g.code = ids.language_codes[best];
  g.probability = g.probs[best];
  return g;
}

float WhisperNoSpeechProbability(const WhisperTokenIds& ids, std::span<const float> logits) {
  CheckRow(ids, logits.size());
  double top = -std::numeric_limits<double>::infinity();
  for (float v : logits) {
    if (!Disabled(v)) top = std::max(top, static_cast<double>(v));
  }
  if (std::isinf(top)) return 0.0f;
  double sum = 0.0;
  for (float v : logits) sum += Disabled(v) ? 0.0 : std::exp(static_cast<double>(v) - top);
  const float v = logits[static_cast<size_t>(ids.no_speech)];
  return Disabled(v) ? 0.0f : static_cast<float>(std::exp(static_cast<double>(v) - top) / sum);
}

}  // namespace edgeseq::runtime
