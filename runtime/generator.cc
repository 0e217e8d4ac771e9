#include "runtime/generator.h"

#include <math.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <limits>
#include <numeric>
#include <string>

#include "ops/softmax.h"
#include "ops/threads.h"
#include "runtime/error.h"
#include "runtime/search.h"
#include "runtime/transformer.h"

namespace edgeseq::runtime {

Generator::Generator(std::shared_ptr<const Model> model, const Limits& limits)
    : model_(std::move(model)),
      ws_(*model_, limits),
      order_(model_->config().tgt_vocab_size),
      penalty_scratch_(ws_.limits.max_target + 1) {
  feature_rows_.reserve(ws_.limits.max_batch);
}

void Generator::CheckBatchSize(size_t n) const {
  if (n == 0) throw Error(ErrorKind::kInput, "no sources");
  if (n > ws_.limits.max_batch) {
    throw Error(ErrorKind::kLimit, std::to_string(n) + " sources, the generator takes at most " +
                                       std::to_string(ws_.limits.max_batch));
  }
}

void Generator::CheckSources(const std::vector<std::vector<int32_t>>& sources) const {
  const auto& c = model_->config();
  if (features_) return;  // handles of features checked by FeatureHandles
  if (model_->log_mel_input()) {
    throw Error(ErrorKind::kInput, "the model reads log-mel features, not token ids (GenerateFromFeatures)");
  }
  CheckBatchSize(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    if (s.size() > ws_.limits.max_source) {
      throw Error(ErrorKind::kLimit, "source " + std::to_string(i) + " has " + std::to_string(s.size()) +
                                         " tokens, more than the " + std::to_string(ws_.limits.max_source) +
                                         " allowed");
    }
    for (int32_t id : s) {
      if (id < 0 || static_cast<uint32_t>(id) >= c.src_vocab_size) {
        throw Error(ErrorKind::kInput, "source " + std::to_string(i) + " has id " + std::to_string(id) +
                                           ", outside the source vocabulary of " + std::to_string(c.src_vocab_size));
      }
    }
  }
}

void Generator::CheckOptions(const GenerateOptions& o) const {
  const auto& c = model_->config();
  auto fail = [](const std::string& m) { throw Error(ErrorKind::kInput, m); };
  if (o.max_length == 0) fail("max length must be at least 1");
  if (o.min_length > o.max_length) {
    fail("min length " + std::to_string(o.min_length) + " exceeds max length " + std::to_string(o.max_length));
  }
  if (o.max_length > ws_.limits.max_target) {
    throw Error(ErrorKind::kLimit, "max length " + std::to_string(o.max_length) + " exceeds the generator's max_target of " +
                                       std::to_string(ws_.limits.max_target));
  }
  if (o.decoder_start < -1 || o.decoder_start >= static_cast<int64_t>(c.tgt_vocab_size)) {
    fail("decoder start " + std::to_string(o.decoder_start) + " is outside the target vocabulary");
  }
  if (o.beam == 0) fail("beam must be at least 1");
  if (o.beam > c.tgt_vocab_size) {
    fail("beam " + std::to_string(o.beam) + " is larger than the target vocabulary (" +
         std::to_string(c.tgt_vocab_size) + ")");
  }
  if (o.beam > ws_.limits.max_beam) {
    throw Error(ErrorKind::kLimit, "beam " + std::to_string(o.beam) + " exceeds the generator's " +
                                       std::to_string(ws_.limits.max_beam));
  }
  if (o.return_alternatives) {
    if (o.num_hypotheses == 0 || o.num_hypotheses > c.tgt_vocab_size) {
      fail("num_hypotheses (alternatives) must be between 1 and the target vocabulary");
    }
    if (!(o.min_alternative_expansion_prob >= 0.0f && o.min_alternative_expansion_prob <= 1.0f)) {
      fail("min_alternative_expansion_prob must be in [0, 1]");
    }
    if (o.on_token) fail("return_alternatives takes no token callback");
  } else if (o.sample) {
    if (o.num_hypotheses == 0) fail("num_hypotheses must be at least 1");
    if (o.num_hypotheses > 1 && o.on_token) fail("a token callback (streaming) takes one hypothesis per source");
  } else if (o.num_hypotheses == 0 ||
             o.num_hypotheses > std::max<size_t>(o.beam, static_cast<size_t>(std::round(o.beam * o.patience)))) {
    fail("num_hypotheses must be between 1 and the beam (round(beam * patience) with patience > 1)");
  }
  if (!(o.patience > 0.0f) || !std::isfinite(o.patience)) fail("patience must be finite and > 0");
  if (!std::isfinite(o.length_penalty)) fail("length penalty must be finite");
  if (o.on_token && o.beam != 1) fail("a token callback (streaming) takes beam 1");
  if (o.on_logits && (o.prefix_bias_beta > 0.0f || o.return_alternatives)) {
    fail("a logits callback takes no prefix_bias_beta and no return_alternatives");
  }
  if (o.whisper_beam && (o.length_penalty != 1.0f || o.coverage_penalty != 0.0f || o.prefix_bias_beta > 0.0f)) {
    fail("whisper_beam ranks as Whisper does: length_penalty 1, no coverage_penalty, no prefix_bias_beta");
  }
  if (o.whisper_beam && (o.sample || o.on_token || o.return_alternatives)) {
    fail("whisper_beam is a beam search: no sampling, no token callback, no return_alternatives");
  }
  if (!(o.prefix_bias_beta >= 0.0f && o.prefix_bias_beta < 1.0f)) fail("prefix_bias_beta must be in [0, 1)");
  if (o.prefix_bias_beta > 0.0f) {
    if (o.sample) fail("prefix_bias_beta takes greedy or beam search, not sampling");
    if (o.return_alternatives) fail("prefix_bias_beta does not combine with return_alternatives (as CTranslate2)");
    if (o.on_token) fail("prefix_bias_beta takes no token callback (it runs beam search)");
  }
  if (!std::isfinite(o.coverage_penalty)) fail("coverage penalty must be finite");
  if (o.sample) {
    if (o.beam != 1) fail("sampling takes beam 1");
    if (!(o.temperature > 0.0f) || !std::isfinite(o.temperature)) fail("temperature must be finite and > 0");
    if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) fail("top-p must be in (0, 1]");
    if (o.top_k > c.tgt_vocab_size) fail("top-k is larger than the target vocabulary");
  }
  if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty)) {
    fail("repetition penalty must be finite and > 0 (1: off)");
  }
  if (o.disable_unk && (c.tgt_unk_id < 0 || static_cast<uint32_t>(c.tgt_unk_id) >= c.tgt_vocab_size)) {
    fail("disable_unk: the model records no target unknown token");
  }
  auto check_id = [&](int32_t id, const std::string& what) {
    if (id < 0 || static_cast<uint32_t>(id) >= c.tgt_vocab_size) {
      fail(what + " " + std::to_string(id) + " is outside the target vocabulary of " + std::to_string(c.tgt_vocab_size));
    }
  };
  for (int32_t id : o.end_tokens) check_id(id, "end token");
  for (size_t i = 0; i < o.suppress_sequences.size(); ++i) {
    for (int32_t id : o.suppress_sequences[i]) check_id(id, "suppressed sequence " + std::to_string(i) + ": token");
  }
  for (size_t i = 0; i < o.target_prefix.size(); ++i) {
    const auto& p = o.target_prefix[i];
    if (p.size() > o.max_length) {
      fail("target prefix " + std::to_string(i) + " has " + std::to_string(p.size()) + " tokens, more than the max length " +
           std::to_string(o.max_length));
    }
    for (int32_t id : p) check_id(id, "target prefix " + std::to_string(i) + ": token");
  }
  if (o.max_input_length > ws_.limits.max_source) {
    throw Error(ErrorKind::kLimit, "max input length " + std::to_string(o.max_input_length) +
                                       " exceeds the generator's max_source of " + std::to_string(ws_.limits.max_source));
  }
}

namespace {

// A source longer than n ids cut to n, as CTranslate2's max_input_length
// does: when it ends with the model's source suffix (e.g. EOS, or EOS and a
// language code) and the suffix fits, the suffix stays at the end.
std::vector<int32_t> Truncate(const std::vector<int32_t>& s, size_t n, const std::vector<int32_t>& suffix) {
  size_t tail = 0;
  if (!suffix.empty() && suffix.size() <= n && std::equal(suffix.rbegin(), suffix.rend(), s.rbegin())) {
    tail = suffix.size();
  }
  std::vector<int32_t> out(s.begin(), s.begin() + (n - tail));
  out.insert(out.end(), s.end() - tail, s.end());
  return out;
}

}  // namespace

std::vector<std::vector<Hypothesis>> Generator::Generate(const std::vector<std::vector<int32_t>>& sources,
                                                         const GenerateOptions& o) {
  ops::ApplyThreads();
  CheckOptions(o);
  // The model's forced first token (header forced_bos_id) is a default
  // target prefix of one token for every source the caller gives none.
  const int32_t forced = model_->config().forced_bos_id;
  if (forced >= 0 && !sources.empty() && o.max_length > 0 &&
      (o.target_prefix.empty() ||
       (o.target_prefix.size() == sources.size() &&
        std::any_of(o.target_prefix.begin(), o.target_prefix.end(), [](const auto& p) { return p.empty(); })))) {
    GenerateOptions f = o;
    f.target_prefix.resize(sources.size());
    for (auto& p : f.target_prefix) {
      if (p.empty()) p = {forced};
    }
    return Generate(sources, f);
  }
  if (!o.target_prefix.empty() && o.target_prefix.size() != sources.size()) {
    throw Error(ErrorKind::kInput, std::to_string(o.target_prefix.size()) + " target prefixes for " +
                                       std::to_string(sources.size()) + " sources (one per source, or none)");
  }
  const size_t n = o.max_input_length;
  bool cut = false;
  for (const auto& s : sources) cut |= n > 0 && s.size() > n;
  if (!cut) return Decode(sources, o);
  std::vector<std::vector<int32_t>> truncated;
  truncated.reserve(sources.size());
  for (const auto& s : sources) truncated.push_back(s.size() > n ? Truncate(s, n, model_->config().src_suffix) : s);
  return Decode(truncated, o);
}

std::vector<std::vector<Hypothesis>> Generator::Decode(const std::vector<std::vector<int32_t>>& sources,
                                                       const GenerateOptions& o) {
  CheckSources(sources);
  // An empty source has nothing to translate: one empty hypothesis, score 0
  // (as CTranslate2 answers it); the others are decoded as a batch of their
  // own, with the callback's source indices mapped back.
  size_t empty = 0;
  for (const auto& s : sources) empty += s.empty();
  if (empty > 0) {
    std::vector<std::vector<Hypothesis>> out(sources.size(), std::vector<Hypothesis>(1));
    if (empty == sources.size()) return out;
    std::vector<size_t> index;
    std::vector<std::vector<int32_t>> rest;
    for (size_t i = 0; i < sources.size(); ++i) {
      if (!sources[i].empty()) {
        index.push_back(i);
        rest.push_back(sources[i]);
      }
    }
    GenerateOptions ro = o;
    if (!o.target_prefix.empty()) {
      ro.target_prefix.clear();
      for (size_t i : index) ro.target_prefix.push_back(o.target_prefix[i]);
    }
    if (o.on_token) ro.on_token = [&](size_t b, int32_t t) { return o.on_token(index[b], t); };
    if (o.on_logits) {
      ro.on_logits = [&](size_t b, std::span<float> logits, std::span<const int32_t> chosen) {
        o.on_logits(index[b], logits, chosen);
      };
    }
    auto got = Decode(rest, ro);
    for (size_t j = 0; j < index.size(); ++j) out[index[j]] = std::move(got[j]);
    return out;
  }
  if (o.return_alternatives) return Alternatives(sources, o);
  if (o.sample && o.num_hypotheses > 1) {
    // Several samples per source (CTranslate2's num_hypotheses with
    // sampling): each source repeated, the copies sampled independently
    // (one random stream through the batch), best score first.
    GenerateOptions one = o;
    one.num_hypotheses = 1;
    const size_t n = o.num_hypotheses;
    std::vector<std::vector<Hypothesis>> out(sources.size());
    std::vector<std::pair<size_t, size_t>> todo;  // (source, copy)
    for (size_t i = 0; i < sources.size(); ++i) {
      for (size_t c = 0; c < n; ++c) todo.emplace_back(i, c);
    }
    for (size_t start = 0; start < todo.size(); start += ws_.limits.max_batch) {
      const size_t end = std::min(todo.size(), start + ws_.limits.max_batch);
      std::vector<std::vector<int32_t>> srcs;
      one.target_prefix.clear();
      for (size_t t = start; t < end; ++t) {
        srcs.push_back(sources[todo[t].first]);
        if (!o.target_prefix.empty()) one.target_prefix.push_back(o.target_prefix[todo[t].first]);
      }
      one.seed = o.seed + start;  // each batch its own stream, reproducibly
      auto got = Decode(srcs, one);
      for (size_t t = start; t < end; ++t) out[todo[t].first].push_back(std::move(got[t - start][0]));
    }
    for (auto& hs : out) {
      std::stable_sort(hs.begin(), hs.end(), [](const Hypothesis& a, const Hypothesis& x) { return a.score > x.score; });
    }
    return out;
  }
  const size_t S = EncodeSources(sources);
  // The alignment is kept only when asked (it costs a write per head per step).
  ws_.keep_cross_attention = KeepsAttention(o);
  // A biased prefix runs beam search, beam 1 included (as CTranslate2).
  const bool biased = o.prefix_bias_beta > 0.0f && !o.target_prefix.empty();
  auto out = o.beam > 1 || biased || o.whisper_beam ? Beam(sources.size(), S, o) : Step1(sources.size(), S, o);
  ws_.keep_cross_attention = false;
  if (o.return_attention || o.replace_unknowns) {  // each vector over its own source's ids (the rest: padding, weight 0)
    for (size_t b = 0; b < out.size(); ++b) {
      for (auto& h : out[b]) {
        for (auto& a : h.attention) a.resize(sources[b].size());
      }
    }
  }
  return out;
}

namespace {

// Clears a Generator's features when a features call ends, thrown or not.
template <class T>
struct ResetOnExit {
  T*& p;
  ~ResetOnExit() { p = nullptr; }
};

}  // namespace

std::vector<std::vector<int32_t>> Generator::FeatureHandles(const std::vector<std::vector<float>>& features) {
  const auto& c = model_->config();
  if (!model_->log_mel_input()) {
    throw Error(ErrorKind::kInput, "the model reads token ids, not log-mel features (Generate)");
  }
  CheckBatchSize(features.size());
  const size_t want = model_->frames() * c.n_mels;
  std::vector<std::vector<int32_t>> handles;
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i].size() != want) {
      throw Error(ErrorKind::kInput, "source " + std::to_string(i) + " has " + std::to_string(features[i].size()) +
                                         " values, the model takes " + std::to_string(model_->frames()) +
                                         " frames × " + std::to_string(c.n_mels) + " mels = " + std::to_string(want));
    }
    for (size_t j = 0; j < want; ++j) {
      if (!std::isfinite(features[i][j])) {
        throw Error(ErrorKind::kInput, "source " + std::to_string(i) + " has a non-finite value at frame " +
                                           std::to_string(j / c.n_mels) + ", mel " + std::to_string(j % c.n_mels));
      }
    }
    handles.push_back({static_cast<int32_t>(i)});
  }
  features_ = &features;
  return handles;
}

std::vector<std::vector<Hypothesis>> Generator::GenerateFromFeatures(const std::vector<std::vector<float>>& features,
                                                                     const GenerateOptions& options) {
  if (options.return_attention || options.replace_unknowns) {
    throw Error(ErrorKind::kInput, "return_attention and replace_unknowns are not computed for log-mel sources");
  }
  ResetOnExit<const std::vector<std::vector<float>>> reset{features_};
  const auto handles = FeatureHandles(features);
  return Generate(handles, options);
}

std::vector<std::vector<float>> Generator::ScoreTokensFromFeatures(const std::vector<std::vector<float>>& features,
                                                                   const std::vector<std::vector<int32_t>>& targets) {
  ResetOnExit<const std::vector<std::vector<float>>> reset{features_};
  const auto handles = FeatureHandles(features);
  return ScoreTokens(handles, targets);
}

size_t Generator::EncodeSources(const std::vector<std::vector<int32_t>>& sources) {
  size_t rows = 0;
  for (const auto& s : sources) rows = std::max(rows, s.size());
  size_t S = 0;
  const auto t0 = std::chrono::steady_clock::now();
  if (model_->log_mel_input()) {
    // The sources are handles into features_ (FeatureHandles).
    if (!features_) throw Error(ErrorKind::kInput, "the model reads log-mel features, not token ids");
    feature_rows_.clear();
    for (const auto& h : sources) feature_rows_.push_back((*features_)[static_cast<size_t>(h.at(0))].data());
    tuner_.Run(ops::ThreadTuner::Kind::kEncode, model_->frames() * sources.size(),
               [&] { S = EncodeLogMel(*model_, ws_, feature_rows_); });
  } else {
    tuner_.Run(ops::ThreadTuner::Kind::kEncode, rows * sources.size(), [&] { S = Encode(*model_, ws_, sources); });
  }
  encode_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return S;
}

void Generator::Step(size_t rows, size_t rows_per_source, size_t S, size_t step) {
  tuner_.Run(ops::ThreadTuner::Kind::kDecodeStep, rows,
             [&] { DecodeStep(*model_, ws_, rows, rows_per_source, S, step); });
}

// CTranslate2's decode_alternatives, per source: the prefix forced, the
// num_hypotheses most likely tokens after it (end tokens disabled, the step
// rules applied with no history, as CTranslate2's one-step expansion), those
// of probability at least min_alternative_expansion_prob kept, then each
// continued as a hard prefix (prefix + token) by the search with one
// hypothesis. The expansion re-runs the prefix for each alternative: simple,
// and the alternatives are a batch of their own.
std::vector<std::vector<Hypothesis>> Generator::Alternatives(const std::vector<std::vector<int32_t>>& sources,
                                                             const GenerateOptions& o) {
  const auto& c = model_->config();
  const size_t V = c.tgt_vocab_size;
  GenerateOptions expand = o;
  expand.min_length = 1;  // no end token at the expansion (its history is empty: len 0 < 1)
  const StepRules expand_rules(expand, c);
  GenerateOptions rest = o;
  rest.return_alternatives = false;
  rest.num_hypotheses = 1;
  rest.normalize_scores = false;  // normalized below, as CTranslate2
  std::vector<std::vector<Hypothesis>> out(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::vector<int32_t> prefix = o.target_prefix.empty() ? std::vector<int32_t>() : o.target_prefix[i];
    if (prefix.size() >= o.max_length) {  // nothing left to expand: the prefix alone
      Hypothesis h;
      h.ids = prefix;
      out[i].push_back(std::move(h));
      continue;
    }
    const size_t S = EncodeSources({sources[i]});
    ws_.dec_ids[0] = o.decoder_start >= 0 ? o.decoder_start : c.decoder_start_id;
    for (size_t step = 0; step <= prefix.size(); ++step) {
      Step(1, 1, S, step);
      if (step < prefix.size()) ws_.dec_ids[0] = prefix[step];
    }
    float* row = ws_.logits.data();
    expand_rules.Apply(row, nullptr, 0, penalty_scratch_.data());
    ops::LogSoftmax(row, 1, V);
    const size_t n = o.num_hypotheses;
    std::iota(order_.begin(), order_.begin() + V, 0);
    std::partial_sort(order_.begin(), order_.begin() + n, order_.begin() + V, [&](int32_t a, int32_t x) {
      return row[a] > row[x] || (row[a] == row[x] && a < x);
    });
    std::vector<int32_t> tokens;
    std::vector<float> log_probs;
    for (size_t t = 0; t < n; ++t) {
      const float lp = row[order_[t]];
      if (lp <= kDisabledBelow || expf(lp) < o.min_alternative_expansion_prob) break;
      tokens.push_back(order_[t]);
      log_probs.push_back(lp);
    }
    // Each alternative continued, in batches the workspace takes.
    for (size_t start = 0; start < tokens.size(); start += ws_.limits.max_batch) {
      const size_t end = std::min(tokens.size(), start + ws_.limits.max_batch);
      std::vector<std::vector<int32_t>> srcs(end - start, sources[i]);
      rest.target_prefix.assign(end - start, prefix);
      for (size_t a = start; a < end; ++a) rest.target_prefix[a - start].push_back(tokens[a]);
      auto got = Decode(srcs, rest);
      for (size_t a = start; a < end; ++a) {
        Hypothesis h = std::move(got[a - start][0]);
        // normalize_scores as CTranslate2 adds its parts: the
        // continuation's sum over the continuation's length^α (its tokens
        // and the end token when one ended it), plus the alternative's
        // log-probability (a one-token expansion, length 1).
        if (o.normalize_scores) {
          const bool ended = o.return_end_token || h.ids.size() < o.max_length;
          const size_t length = h.ids.size() - (prefix.size() + 1) + (ended && !o.return_end_token ? 1 : 0);
          if (length > 0) h.score /= powf(static_cast<float>(length), o.length_penalty);
        }
        h.score += log_probs[a];
        out[i].push_back(std::move(h));
      }
    }
  }
  return out;
}

std::vector<Hypothesis> Generator::Greedy(const std::vector<std::vector<int32_t>>& sources,
                                          const GenerateOptions& o) {
  GenerateOptions one = o;
  one.num_hypotheses = 1;
  auto all = Generate(sources, one);
  std::vector<Hypothesis> out;
  for (auto& h : all) out.push_back(std::move(h[0]));
  return out;
}

// One row per source: argmax, or a sample from the (tempered, truncated)
// distribution, after the step rules (search.h).
std::vector<std::vector<Hypothesis>> Generator::Step1(size_t batch, size_t S, const GenerateOptions& o) {
  const auto& c = model_->config();
  const size_t V = c.tgt_vocab_size;
  const StepRules rules(o, c);
  std::vector<std::vector<Hypothesis>> out(batch, std::vector<Hypothesis>(1));
  for (auto& h : out) h[0].ids.reserve(o.max_length);
  std::vector<bool> done(batch, false), ended(batch, false);
  std::mt19937_64 rng(o.seed);
  // coverage_penalty with normalize_scores: each row's attention summed over its steps.
  const bool cover = o.coverage_penalty != 0.0f && o.normalize_scores;
  std::vector<float> coverage(cover ? batch * S : 0, 0.0f);
  for (size_t b = 0; b < batch; ++b) ws_.dec_ids[b] = o.decoder_start >= 0 ? o.decoder_start : c.decoder_start_id;
  for (size_t step = 0; step < o.max_length; ++step) {
    Step(batch, 1, S, step);
    bool all_done = true;
    for (size_t b = 0; b < batch; ++b) {
      if (done[b]) continue;
      Hypothesis& h = out[b][0];
      float* row = ws_.logits.data() + b * V;
      int32_t next = 0;
      const std::vector<int32_t>* prefix = o.target_prefix.empty() ? nullptr : &o.target_prefix[b];
      const bool forced = prefix != nullptr && step < prefix->size();
      if (forced) {
        next = (*prefix)[step];  // its log-probability is not in the score (as CTranslate2)
      } else {
        rules.Apply(row, h.ids.data(), h.ids.size(), penalty_scratch_.data());
        if (o.on_logits) o.on_logits(b, std::span<float>(row, V), std::span<const int32_t>(h.ids.data(), h.ids.size()));
        if (o.sample) {
          ops::LogSoftmax(row, 1, V);  // log-probabilities in place
          next = Sample(row, V, o, rng, order_);
          h.score += row[next];
        } else {
          size_t pick = 0;
          float log_prob = 0;
          ops::GreedyPick(row, V, V, &pick, &log_prob);
          next = static_cast<int32_t>(pick);
          h.score += log_prob;
        }
      }
      const bool keep_id = forced || !rules.IsEnd(next) || o.return_end_token;
      const float* a = ws_.cross_attention.data() + b * ws_.limits.max_source;
      if (ReturnsAttention(o) && keep_id) h.attention.emplace_back(a, a + S);
      if (cover) {
        for (size_t j = 0; j < S; ++j) coverage[b * S + j] += a[j];
      }
      if (!forced && rules.IsEnd(next)) {
        done[b] = true;
        ended[b] = true;
        if (o.return_end_token) h.ids.push_back(next);
      } else {
        h.ids.push_back(next);
        if (o.on_token && o.on_token(b, next)) {
          done[b] = true;  // stopped by the caller after this token
        } else {
          all_done = false;
        }
      }
      ws_.dec_ids[b] = next;  // finished rows keep decoding harmlessly until all are done
    }
    if (all_done) break;
  }
  if (o.normalize_scores) {
    for (size_t b = 0; b < batch; ++b) {
      Hypothesis& h = out[b][0];
      const size_t length = h.ids.size() + (ended[b] && !o.return_end_token ? 1 : 0);
      h.score /= powf(static_cast<float>(length), o.length_penalty);
      if (cover) h.score += CoveragePenalty(coverage.data() + b * S, nullptr, S, o.coverage_penalty);
    }
  }
  return out;
}

namespace {

std::vector<float> Totals(const std::vector<std::vector<float>>& per_token) {
  std::vector<float> totals;
  for (const std::vector<float>& t : per_token) {
    float s = 0.0f;
    for (float x : t) s += x;
    totals.push_back(s);
  }
  return totals;
}

}  // namespace

std::vector<float> Generator::Score(const std::vector<std::vector<int32_t>>& sources,
                                    const std::vector<std::vector<int32_t>>& targets) {
  return Totals(ScoreTokens(sources, targets));
}

std::vector<float> Generator::ScoreFromFeatures(const std::vector<std::vector<float>>& features,
                                                const std::vector<std::vector<int32_t>>& targets) {
  return Totals(ScoreTokensFromFeatures(features, targets));
}

std::vector<std::vector<float>> Generator::ScoreTokens(const std::vector<std::vector<int32_t>>& sources,
                                                       const std::vector<std::vector<int32_t>>& targets) {
  ops::ApplyThreads();
  CheckSources(sources);
  const auto& c = model_->config();
  if (targets.size() != sources.size()) throw Error(ErrorKind::kInput, "as many targets as sources are needed");
  size_t steps = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    for (int32_t id : targets[i]) {
      if (id < 0 || static_cast<uint32_t>(id) >= c.tgt_vocab_size) {
        throw Error(ErrorKind::kInput, "target " + std::to_string(i) + " has id " + std::to_string(id) +
                                           ", outside the target vocabulary of " + std::to_string(c.tgt_vocab_size));
      }
    }
    steps = std::max(steps, targets[i].size() + 1);
  }
  if (steps > ws_.limits.max_target) {
    throw Error(ErrorKind::kLimit, "a target needs " + std::to_string(steps) + " steps, the generator takes " +
                                       std::to_string(ws_.limits.max_target));
  }
  // An empty source has nothing to translate from: each of its target's
  // tokens and the EOS score 0 (as CTranslate2's score_batch answers it);
  // the others are scored as a batch of their own.
  size_t empty = 0;
  for (const auto& s : sources) empty += s.empty();
  if (empty > 0) {
    std::vector<std::vector<float>> out(sources.size());
    std::vector<std::vector<int32_t>> rest_sources, rest_targets;
    std::vector<size_t> index;
    for (size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].empty()) {
        out[i].assign(targets[i].size() + 1, 0.0f);
      } else {
        index.push_back(i);
        rest_sources.push_back(sources[i]);
        rest_targets.push_back(targets[i]);
      }
    }
    if (!index.empty()) {
      auto got = ScoreTokens(rest_sources, rest_targets);
      for (size_t j = 0; j < index.size(); ++j) out[index[j]] = std::move(got[j]);
    }
    return out;
  }
  const size_t batch = sources.size(), V = c.tgt_vocab_size;
  const size_t S = EncodeSources(sources);
  std::vector<std::vector<float>> scores(batch);
  for (size_t b = 0; b < batch; ++b) {
    scores[b].reserve(targets[b].size() + 1);
    ws_.dec_ids[b] = c.decoder_start_id;
  }
  for (size_t step = 0; step < steps; ++step) {
    Step(batch, 1, S, step);
    for (size_t b = 0; b < batch; ++b) {
      const auto& t = targets[b];
      if (step > t.size()) continue;  // this one is complete
      const int32_t want = step < t.size() ? t[step] : c.eos_id;
      float* row = ws_.logits.data() + b * V;  // log-probabilities in place
      ops::LogSoftmax(row, 1, V);
      scores[b].push_back(row[want]);
      ws_.dec_ids[b] = want;
    }
  }
  return scores;
}

}  // namespace edgeseq::runtime
