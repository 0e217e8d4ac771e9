#include "runtime/search.h"

#include <math.h>
#include <string.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "ops/softmax.h"
#include "runtime/transformer.h"

namespace edgeseq::runtime {

StepRules::StepRules(const GenerateOptions& o, const loaders::ModelConfig& c)
    : penalty_(o.repetition_penalty), ngram_(o.no_repeat_ngram_size), min_length_(o.min_length) {
  if (o.end_tokens.empty()) {
    end_ids_.push_back(c.eos_id);
  } else {
    end_ids_ = o.end_tokens;
  }
  if (o.disable_unk) banned_.push_back(c.tgt_unk_id);
  if (c.never_generate_pad && c.pad_id >= 0) banned_.push_back(c.pad_id);  // the model's own rule
  for (const auto& s : o.suppress_sequences) {
    if (s.size() == 1) banned_.push_back(s[0]);
    if (s.size() > 1) sequences_.push_back(s);  // empty ones suppress nothing (as CTranslate2)
  }
}

void StepRules::Apply(float* logits, const int32_t* history, size_t len, float* scratch) const {
  // Repetition penalty (CTranslate2's RepetitionPenalty): every token
  // generated so far, once however often it occurs, has its logit l made
  // l·p when negative and l/p otherwise. All are read before any is
  // written, so a repeated token is penalized once.
  if (penalty_ != 1.0f && len > 0) {
    for (size_t i = 0; i < len; ++i) scratch[i] = logits[history[i]];
    for (size_t i = 0; i < len; ++i) logits[history[i]] = scratch[i] < 0.0f ? scratch[i] * penalty_ : scratch[i] / penalty_;
  }
  // End tokens before the minimum length.
  if (len < min_length_) {
    for (int32_t e : end_ids_) logits[e] = kDisabledLogit;
  }
  // No n-gram twice (CTranslate2's NoRepeatNgram): wherever the last n-1
  // generated tokens occurred before, the token that followed them is
  // disabled (n = 1: every token generated so far).
  if (ngram_ > 0 && len >= ngram_) {
    const size_t n = ngram_, last = len - (n - 1);  // the last n-1 tokens start at `last`
    for (size_t i = 0; i + n <= len; ++i) {
      if (std::equal(history + i, history + i + n - 1, history + last)) logits[history[i + n - 1]] = kDisabledLogit;
    }
  }
  for (int32_t t : banned_) logits[t] = kDisabledLogit;
  // Suppressed sequences (CTranslate2's SuppressSequences): when the
  // generated tokens end with all but the last token of one, its last token
  // is disabled.
  for (const auto& s : sequences_) {
    const size_t m = s.size() - 1;
    if (len >= m && std::equal(s.begin(), s.begin() + m, history + len - m)) logits[s.back()] = kDisabledLogit;
  }
}

float CoveragePenalty(const float* coverage, const float* step, size_t S, float beta) {
  double penalty = 0;
  for (size_t j = 0; j < S; ++j) {
    const float c = coverage[j] + (step != nullptr ? step[j] : 0.0f);
    if (c > 0.0f) penalty += log(std::min(c, 1.0f));
  }
  return beta * static_cast<float>(penalty);
}

int32_t Sample(const float* logprobs, size_t V, const GenerateOptions& o, std::mt19937_64& rng,
               std::vector<int32_t>& order) {
  std::iota(order.begin(), order.begin() + V, 0);
  const size_t k = o.top_k ? o.top_k : V;
  auto by_prob = [&](int32_t a, int32_t b) { return logprobs[a] > logprobs[b] || (logprobs[a] == logprobs[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + k, order.begin() + V, by_prob);
  // Tempered probabilities of the k candidates relative to the best, each
  // exp((log p_i - log p_best) / T) in double: the difference is taken before
  // dividing, so a tiny T cannot turn rounding into a winner (T -> 0 is
  // greedy; dividing first in mixed precision picked the least likely token).
  const double best = logprobs[order[0]];
  if (!std::isfinite(best)) return order[0];
  auto weight = [&](size_t i) { return exp((static_cast<double>(logprobs[order[i]]) - best) / o.temperature); };
  double total = 0;
  for (size_t i = 0; i < k; ++i) total += weight(i);
  // Nucleus: the smallest prefix reaching top_p of the tempered mass.
  size_t keep = 0;
  double cumulative = 0;
  for (keep = 0; keep < k;) {
    cumulative += weight(keep) / total;
    ++keep;
    if (cumulative >= o.top_p) break;
  }
  double mass = 0;
  for (size_t i = 0; i < keep; ++i) mass += weight(i);
  const double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0) * mass;  // [0, mass)
  double acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += weight(i);
    if (u < acc) return order[i];
  }
  return order[keep - 1];
}

std::vector<std::vector<Hypothesis>> Generator::Beam(size_t batch, size_t S, const GenerateOptions& o) {
  const auto& c = model_->config();
  const size_t k = o.beam, rows = batch * k, V = c.tgt_vocab_size, d = c.d_model;
  const size_t T = ws_.limits.max_target, R = ws_.dec_rows, layers = model_->decoder().size();
  const float kNegInf = -std::numeric_limits<float>::infinity();
  struct Candidate {
    float score;
    int32_t row, token;
  };
  struct Finished {
    Hypothesis hyp;
    float rank;
  };
  std::vector<float> score(rows, kNegInf), next_score(rows, kNegInf);
  std::vector<std::vector<int32_t>> ids(rows), next_ids(rows);
  // return_attention: per row, the alignment of each of its ids, S floats each.
  const size_t A = ws_.limits.max_source;
  const bool keep_att = ReturnsAttention(o);
  std::vector<std::vector<float>> att(keep_att ? rows : 0), next_att(keep_att ? rows : 0);
  // coverage_penalty: per row, the attention summed over its steps so far.
  const bool cover = o.coverage_penalty != 0.0f;
  std::vector<std::vector<float>> cov(cover ? rows : 0, std::vector<float>(S)), next_cov(cov);
  auto coverage_of = [&](size_t row) {  // the penalty of row's steps and this step's
    return cover ? CoveragePenalty(cov[row].data(), ws_.cross_attention.data() + row * A, S, o.coverage_penalty) : 0.0f;
  };
  // prefix_bias_beta: the prefix is a soft bias, followed while a row has
  // not left it (diverged), instead of being forced.
  const float beta = o.prefix_bias_beta;
  std::vector<char> diverged(beta > 0.0f ? rows : 0, 0), next_diverged(diverged);
  for (auto* v : {&att, &next_att}) {
    for (auto& x : *v) x.reserve(o.max_length * S);
  }
  // A row's alignments as vectors, then (with_step) the row's at this step.
  auto attention_of = [&](size_t row, bool with_step) {
    std::vector<std::vector<float>> out;
    if (!keep_att) return out;
    const std::vector<float>& a = att[row];
    for (size_t t = 0; t * S < a.size(); ++t) out.emplace_back(a.begin() + t * S, a.begin() + (t + 1) * S);
    if (with_step) {
      const float* x = ws_.cross_attention.data() + row * A;
      out.emplace_back(x, x + S);
    }
    return out;
  };
  for (auto* v : {&ids, &next_ids}) {
    for (auto& x : *v) x.reserve(o.max_length);
  }
  std::vector<int32_t> parent(rows, 0), next_token(rows, o.decoder_start >= 0 ? o.decoder_start : c.decoder_start_id);
  std::vector<std::vector<Finished>> finished(batch);
  // Per source, the finished hypotheses that were among the k best
  // candidates of their step: what patience counts (as CTranslate2 counts
  // them; edgeseq also keeps end proposals ranked below those).
  std::vector<size_t> counted(batch, 0);
  std::vector<bool> done(batch, false);
  std::vector<Candidate> cands;
  cands.reserve(2 * k * k);
  const StepRules rules(o, c);
  // A finished hypothesis's length counts its end token.
  auto rank = [&](float s, size_t len, size_t row) {
    return s / powf(static_cast<float>(len), o.length_penalty) + coverage_of(row);
  };
  // whisper_beam: Whisper's BeamSearchDecoder and MaximumLikelihoodRanker
  // (openai/whisper decoding.py, length_penalty None): the first
  // round(beam·patience) finished hypotheses (Python's round: half to even,
  // as nearbyint) are kept, each step's best first; the source is done when
  // it has them; at the length limit live beams fill up to beam; rank: score
  // over the ids after the target prefix (end token not counted).
  const bool whisper = o.whisper_beam;
  const size_t whisper_max = std::max<size_t>(1, static_cast<size_t>(nearbyint(static_cast<double>(k) * o.patience)));
  auto prefix_len = [&](size_t b) { return o.target_prefix.empty() ? size_t{0} : o.target_prefix[b].size(); };
  auto whisper_rank = [&](float s, size_t ids_len, size_t b) {
    return s / static_cast<float>(ids_len - prefix_len(b));  // 0 ids: ±inf or NaN, as Python's would fail
  };
  // whisper_beam: the live beams of source b at this step (best first) as
  // hypotheses, until it holds `upto` (Whisper's finalize).
  auto add_live = [&](size_t b, size_t upto) {
    for (size_t i = b * k; i < (b + 1) * k && finished[b].size() < upto; ++i) {
      if (next_score[i] == kNegInf) continue;
      Finished f;
      f.hyp.ids = ids[static_cast<size_t>(parent[i])];
      f.hyp.ids.push_back(next_token[i]);
      f.hyp.score = next_score[i];
      f.rank = whisper_rank(f.hyp.score, f.hyp.ids.size(), b);
      finished[b].push_back(std::move(f));
    }
  };
  for (size_t b = 0; b < batch; ++b) score[b * k] = 0.0f;  // one live beam at the start: no duplicates
  for (size_t r = 0; r < rows; ++r) ws_.dec_ids[r] = o.decoder_start >= 0 ? o.decoder_start : c.decoder_start_id;

  size_t step = 0;
  for (; step < o.max_length; ++step) {
    Step(rows, k, S, step);
    bool all_done = true;
    for (size_t b = 0; b < batch; ++b) {
      if (done[b]) continue;
      cands.clear();
      const std::vector<int32_t>* prefix = o.target_prefix.empty() ? nullptr : &o.target_prefix[b];
      if (prefix != nullptr && prefix->empty()) prefix = nullptr;
      const std::vector<int32_t>* bias = nullptr;  // a soft prefix instead of a forced one
      if (beta > 0.0f) std::swap(bias, prefix);
      for (size_t j = 0; j < k; ++j) {
        const size_t r = b * k + j;
        if (score[r] == kNegInf) continue;
        float* row = ws_.logits.data() + r * V;
        if (prefix != nullptr && step < prefix->size()) {
          // Forced: the one live beam takes the prefix's token, its
          // log-probability not in the score (as CTranslate2).
          cands.push_back({score[r], static_cast<int32_t>(r), (*prefix)[step]});
          continue;
        }
        rules.Apply(row, ids[r].data(), ids[r].size(), penalty_scratch_.data());
        // The caller's hook sees this row's own hypothesis (prefix
        // included, as greedy's): ids[r] was reserved for max_length ids
        // before the loop, so the span costs no allocation.
        if (o.on_logits) {
          o.on_logits(b, std::span<float>(row, V), std::span<const int32_t>(ids[r].data(), ids[r].size()));
        }
        ops::LogSoftmax(row, 1, V);
        if (bias != nullptr && step < bias->size() && !diverged[r]) {
          // CTranslate2's BiasedDecoder: p' = (1 - beta)·p + beta·[token = the prefix's].
          const int32_t want = (*bias)[step];
          const float lp = row[want], discount = log1pf(-beta);
          for (size_t v = 0; v < V; ++v) row[v] += discount;
          row[want] = logf((1.0f - beta) * expf(lp) + beta);
        }
        // The 2k best tokens of this beam are enough to fill k beams.
        const size_t take = std::min(V, 2 * k);
        std::iota(order_.begin(), order_.begin() + V, 0);
        std::partial_sort(order_.begin(), order_.begin() + take, order_.begin() + V, [&](int32_t a, int32_t x) {
          return row[a] > row[x] || (row[a] == row[x] && a < x);
        });
        for (size_t t = 0; t < take; ++t) {
          if (row[order_[t]] <= kDisabledBelow) break;  // a disabled token is never chosen
          cands.push_back({score[r] + row[order_[t]], static_cast<int32_t>(r), order_[t]});
        }
      }
      std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& x) { return a.score > x.score; });
      size_t n = 0;
      // The next k beams are the best k candidates that do not end; every
      // ending candidate visited before them is a finished hypothesis (kept
      // best rank first).
      float bound = kNegInf;  // best rank a live beam would get by ending at the next step
      for (size_t ci = 0; ci < cands.size(); ++ci) {
        const Candidate& cd = cands[ci];
        if (prefix != nullptr && step < prefix->size()) {
          // Inside the prefix: the forced token never ends the hypothesis.
        } else if (rules.IsEnd(cd.token)) {
          // At the first step after a prefix only the best candidate may
          // end (CTranslate2's guard against short hypotheses, its issue 277).
          if (!whisper && prefix != nullptr && step == prefix->size() && ci > 0) continue;
          counted[b] += ci < k;
          if (whisper && finished[b].size() >= whisper_max) continue;  // Whisper's list is full
          Finished f;
          f.hyp.ids = ids[cd.row];
          f.hyp.score = cd.score;
          f.rank = whisper ? whisper_rank(cd.score, f.hyp.ids.size(), b)
                           : rank(cd.score, f.hyp.ids.size() + 1, static_cast<size_t>(cd.row));
          f.hyp.attention = attention_of(static_cast<size_t>(cd.row), o.return_end_token);
          if (o.return_end_token) f.hyp.ids.push_back(cd.token);
          auto at = std::upper_bound(finished[b].begin(), finished[b].end(), f.rank,
                                     [](float r, const Finished& x) { return r > x.rank; });
          finished[b].insert(at, std::move(f));
          continue;
        }
        const size_t i = b * k + n;
        parent[i] = cd.row;
        next_token[i] = cd.token;
        next_score[i] = cd.score;
        // (a coverage penalty only rises toward 0 as a hypothesis goes on
        // attending: bounded by 0, the full coverage)
        bound = std::max(bound, cd.score / powf(static_cast<float>(ids[cd.row].size() + 2), o.length_penalty));
        if (++n == k) break;
      }
      for (size_t i = n; i < k; ++i) next_score[b * k + i] = kNegInf;
      // Done when the best num_hypotheses are finished and no live beam
      // could still enter them: log-probabilities only fall, so with length
      // penalty 0 a live beam's score bounds every continuation of it
      // (exact); with a penalty the bound assumes it ends at the next step
      // (as Hugging Face's default early stopping), because the exact bound
      // (its score over the longest allowed length) would keep every search
      // going to the length limit. (Stopping at k finished ones instead, as
      // before and as CTranslate2 does with a length penalty, returned worse
      // than greedy's output for some sources: docs/DECODING.md.)
      const size_t need = o.num_hypotheses;
      const bool bounded = finished[b].size() >= need && finished[b][need - 1].rank >= bound;
      // patience (CTranslate2's: round(beam·patience) finished hypotheses)
      // combined with that rule: above 1 both must hold, below 1 either.
      const size_t patient = std::max(need, static_cast<size_t>(std::round(k * o.patience)));
      // With length penalty 0 and no coverage penalty the rule is exact and
      // patience has no effect (as CTranslate2 exits early then).
      const bool patience_applies = o.length_penalty != 0.0f || o.coverage_penalty != 0.0f;
      bool stop = bounded;
      if (patience_applies && o.patience > 1.0f) stop = bounded && counted[b] >= patient;
      if (patience_applies && o.patience < 1.0f) stop = bounded || counted[b] >= patient;
      if (whisper) {
        stop = finished[b].size() >= whisper_max;
        // Whisper's finalize, for one source per call (its transcribe()):
        // fewer than beam finished ones are topped up with the live beams.
        if (stop) add_live(b, k);
      }
      if (n == 0 || stop) {
        done[b] = true;
      } else {
        all_done = false;
      }
    }
    if (all_done || step + 1 == o.max_length) {
      ++step;
      break;
    }
    // Reorder the live rows: ids, scores, and the self-attention cache.
    for (size_t b = 0; b < batch; ++b) {
      if (done[b]) continue;
      for (size_t i = b * k; i < (b + 1) * k; ++i) {
        if (next_score[i] == kNegInf) continue;
        const size_t p = static_cast<size_t>(parent[i]);
        next_ids[i].assign(ids[p].begin(), ids[p].end());
        next_ids[i].push_back(next_token[i]);
        const float* x = ws_.cross_attention.data() + p * A;
        if (keep_att) {
          next_att[i].assign(att[p].begin(), att[p].end());
          next_att[i].insert(next_att[i].end(), x, x + S);
        }
        if (cover) {
          for (size_t j = 0; j < S; ++j) next_cov[i][j] = cov[p][j] + x[j];
        }
        if (!diverged.empty()) {
          const std::vector<int32_t>& bp = o.target_prefix[b];
          next_diverged[i] = diverged[p] || step >= bp.size() || next_token[i] != bp[step];
        }
        // (one beam, as prefix_bias_beta runs it: its row is its own parent,
        // and the Workspace has no copies to reorder into)
        for (size_t l = 0; l < layers && k > 1; ++l) {
          const size_t dst = (l * R + i) * T * d, src = (l * R + p) * T * d;
          memcpy(ws_.cache_k_next.data() + dst, ws_.cache_k.data() + src, (step + 1) * d * sizeof(float));
          memcpy(ws_.cache_v_next.data() + dst, ws_.cache_v.data() + src, (step + 1) * d * sizeof(float));
        }
      }
      for (size_t i = b * k; i < (b + 1) * k; ++i) {
        score[i] = next_score[i];
        ws_.dec_ids[i] = next_token[i];
      }
    }
    std::swap(ids, next_ids);
    std::swap(att, next_att);
    std::swap(cov, next_cov);
    std::swap(diverged, next_diverged);
    if (k > 1) {
      std::swap(ws_.cache_k, ws_.cache_k_next);
      std::swap(ws_.cache_v, ws_.cache_v_next);
    }
  }
  // Sources still searching at the length limit: their live beams count as
  // (unfinished) hypotheses.
  std::vector<std::vector<Hypothesis>> out(batch);
  for (size_t b = 0; b < batch; ++b) {
    if (!done[b] && whisper) {
      add_live(b, k);
    } else if (!done[b]) {
      for (size_t i = b * k; i < (b + 1) * k; ++i) {
        if (next_score[i] == kNegInf) continue;
        Finished f;
        f.hyp.ids = ids[static_cast<size_t>(parent[i])];
        f.hyp.ids.push_back(next_token[i]);
        f.hyp.attention = attention_of(static_cast<size_t>(parent[i]), true);
        f.hyp.score = next_score[i];
        f.rank = rank(f.hyp.score, f.hyp.ids.size(), static_cast<size_t>(parent[i]));
        finished[b].push_back(std::move(f));
      }
    }
    std::stable_sort(finished[b].begin(), finished[b].end(),
                     [](const Finished& a, const Finished& x) { return a.rank > x.rank; });
    for (size_t h = 0; h < std::min(o.num_hypotheses, finished[b].size()); ++h) {
      if (o.normalize_scores) finished[b][h].hyp.score = finished[b][h].rank;
      out[b].push_back(std::move(finished[b][h].hyp));
    }
  }
  return out;
}

}  // namespace edgeseq::runtime
