// Beam search with the per-step logits hook (GenerateOptions::on_logits), on
// the parity fixture post_relu (tests/fixtures/parity, 24 target tokens, EOS
// 3) in f32. The hook is what Whisper's logit filters use: it must be called
// for every live beam row with that row's own hypothesis, before the
// log-softmax, and cost the decode loop no allocation.
//
// The reference is a brute force written here: each node's distribution
// taken from the model one prefix at a time (a one-step greedy decode forced
// through that prefix, whose logits the same rule then filters), the
// filtered log-softmax computed in double, and every sequence the rule
// allows enumerated. The rule allows the end token and two tokens that
// depend on the history's length and last token, so a hook given another
// row's history disables the wrong tokens and the search then returns
// sequences the brute force shows to be impossible or scored differently.
#include <gtest/gtest.h>
#include <math.h>

#include <algorithm>
#include <map>
#include <span>
#include <vector>

#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/search.h"
#include "tests/alloc_counter.h"
#include "tests/runtime/fixture_model.h"

namespace edgeseq::runtime {
namespace {

constexpr int32_t kEos = 3;  // make_parity.py: UNK, PAD, BOS, EOS = 0, 1, 2, 3
constexpr size_t kVocab = 24;
const std::vector<std::vector<int32_t>> kSources = {{4, 19, 6, 8, 10}, {7, 7, 12, 5}};

std::shared_ptr<const Model> F32Model() {
  static const std::shared_ptr<const Model> model = Model::Load(test::ConvertParityFixture("post_relu", "f32"));
  return model;
}

// The test's rule: whether `token` may follow `history` (the hypothesis so
// far). The end token always; otherwise two tokens out of 4..23 picked by
// the history's length and last token.
bool Allowed(std::span<const int32_t> history, int32_t token) {
  if (token == kEos) return true;
  const int32_t last = history.empty() ? 0 : history.back();
  const int32_t base = 4 + static_cast<int32_t>((static_cast<size_t>(last) * 7 + history.size() * 5) % 17);  // 4..20
  return token == base || token == base + 3;
}

void Filter(std::span<float> logits, std::span<const int32_t> chosen) {
  for (size_t v = 0; v < logits.size(); ++v) {
    if (!Allowed(chosen, static_cast<int32_t>(v))) logits[v] = kDisabledLogit;
  }
}

// The filtered log-probabilities (double) of the token after `prefix`, from
// a greedy decode forced through the prefix: its hook sees the row at the
// step after it (and checks it is handed the prefix as the history).
std::vector<double> NextLogProbs(Generator& gen, size_t source, const std::vector<int32_t>& prefix) {
  GenerateOptions o;
  o.max_length = prefix.size() + 1;
  if (!prefix.empty()) o.target_prefix = {prefix};
  std::vector<float> row;
  o.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t> chosen) {
    EXPECT_EQ(std::vector<int32_t>(chosen.begin(), chosen.end()), prefix);
    Filter(logits, chosen);
    row.assign(logits.begin(), logits.end());
  };
  gen.Generate({kSources[source]}, o);
  EXPECT_EQ(row.size(), kVocab);
  double top = -INFINITY, sum = 0;
  for (float x : row) {
    if (x > kDisabledBelow) top = std::max(top, static_cast<double>(x));
  }
  for (float x : row) {
    if (x > kDisabledBelow) sum += exp(x - top);
  }
  std::vector<double> out(row.size(), -INFINITY);
  for (size_t v = 0; v < row.size(); ++v) {
    if (row[v] > kDisabledBelow) out[v] = row[v] - top - log(sum);
  }
  return out;
}

struct Scored {
  std::vector<int32_t> ids;  // without the end token
  double score;              // end token's log-probability included when it ended
};

// Every hypothesis the rule allows within max_length steps: those ended by
// the end token, and those cut at the limit (as the beam search returns
// live beams there). Best score first.
std::vector<Scored> Exhaustive(Generator& gen, size_t source, size_t max_length) {
  std::vector<Scored> all;
  std::vector<Scored> frontier = {{{}, 0.0}};
  for (size_t step = 0; step < max_length; ++step) {
    std::vector<Scored> next;
    for (const Scored& s : frontier) {
      const std::vector<double> lp = NextLogProbs(gen, source, s.ids);
      for (size_t v = 0; v < lp.size(); ++v) {
        if (lp[v] == -INFINITY) continue;
        Scored c{s.ids, s.score + lp[v]};
        if (static_cast<int32_t>(v) == kEos) {
          all.push_back(c);
        } else {
          c.ids.push_back(static_cast<int32_t>(v));
          next.push_back(c);
        }
      }
    }
    frontier = std::move(next);
  }
  all.insert(all.end(), frontier.begin(), frontier.end());
  std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  return all;
}

bool FollowsTheRule(const std::vector<int32_t>& ids) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == kEos || !Allowed(std::span<const int32_t>(ids.data(), i), ids[i])) return false;
  }
  return true;
}

// A beam wide enough to keep every sequence the rule allows (2 tokens a
// step: 2^3 = 8 live sequences after 3 steps, 16 at the limit of 4) is an
// exhaustive search: with length penalty 0 its best hypotheses are the
// brute force's, ids and scores.
TEST(BeamLogitsHook, WideBeamEqualsExhaustiveSearchUnderTheHook) {
  auto model = F32Model();
  Generator gen(model, Limits{2, 16, 8, 16});
  const size_t max_length = 4, n = 6;
  GenerateOptions o;
  o.beam = 16;
  o.max_length = max_length;
  o.length_penalty = 0.0f;  // rank by score: the exact stopping bound
  o.num_hypotheses = n;
  o.on_logits = [](size_t, std::span<float> logits, std::span<const int32_t> chosen) { Filter(logits, chosen); };
  const auto got = gen.Generate(kSources, o);
  ASSERT_EQ(got.size(), kSources.size());
  for (size_t s = 0; s < kSources.size(); ++s) {
    const std::vector<Scored> want = Exhaustive(gen, s, max_length);
    ASSERT_GE(want.size(), n);
    ASSERT_EQ(got[s].size(), n) << "source " << s;
    for (size_t h = 0; h < n; ++h) {
      EXPECT_EQ(got[s][h].ids, want[h].ids) << "source " << s << " hypothesis " << h;
      EXPECT_NEAR(got[s][h].score, want[h].score, 1e-4) << "source " << s << " hypothesis " << h;
    }
    // Not vacuous: the hook changed the answer (the unfiltered search's best
    // breaks the rule).
    GenerateOptions free = o;
    free.on_logits = nullptr;
    const auto unfiltered = gen.Generate({kSources[s]}, free);
    EXPECT_FALSE(FollowsTheRule(unfiltered[0][0].ids)) << "source " << s;
  }
}

// A narrow beam (3) prunes: every hook call is handed the hypothesis of a
// row that is live at that step — a sequence the rule allows, each prefix of
// it handed at an earlier step — the live rows' histories are distinct, each
// step has as many calls as live rows, and every returned hypothesis (and
// each of its prefixes) was one of them, scored as the brute force scores
// that sequence.
TEST(BeamLogitsHook, EachRowSeesItsOwnHypothesis) {
  auto model = F32Model();
  Generator gen(model, Limits{2, 16, 8, 3});
  const size_t k = 3, max_length = 6;
  GenerateOptions o;
  o.beam = k;
  o.max_length = max_length;
  o.num_hypotheses = k;
  std::vector<std::vector<std::vector<int32_t>>> seen(kSources.size());  // per source, every history handed
  o.on_logits = [&](size_t source, std::span<float> logits, std::span<const int32_t> chosen) {
    seen.at(source).emplace_back(chosen.begin(), chosen.end());
    Filter(logits, chosen);
  };
  const auto got = gen.Generate(kSources, o);
  for (size_t s = 0; s < kSources.size(); ++s) {
    std::map<size_t, std::vector<std::vector<int32_t>>> by_step;
    for (const auto& h : seen[s]) by_step[h.size()].push_back(h);
    ASSERT_EQ(by_step[0].size(), 1u) << "one live beam at the start";
    for (const auto& [step, histories] : by_step) {
      EXPECT_LE(histories.size(), k) << "step " << step;
      auto sorted = histories;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "two rows, one history, step " << step;
      for (const auto& h : histories) {
        EXPECT_TRUE(FollowsTheRule(h)) << "step " << step;
        if (step > 0) {
          const std::vector<int32_t> parent(h.begin(), h.end() - 1);
          const auto& before = by_step[step - 1];
          EXPECT_NE(std::find(before.begin(), before.end(), parent), before.end()) << "step " << step;
        }
      }
    }
    // Steps 1 and 2 keep k live rows (2 tokens a step from 1, then 2 rows).
    EXPECT_EQ(by_step[1].size(), 2u);
    EXPECT_EQ(by_step[2].size(), k);
    ASSERT_EQ(got[s].size(), k);
    for (const Hypothesis& h : got[s]) {
      EXPECT_TRUE(FollowsTheRule(h.ids));
      for (size_t len = 0; len < h.ids.size(); ++len) {
        const std::vector<int32_t> prefix(h.ids.begin(), h.ids.begin() + static_cast<std::ptrdiff_t>(len));
        const auto& at = by_step[len];
        EXPECT_NE(std::find(at.begin(), at.end(), prefix), at.end()) << "a prefix no row was handed";
      }
      // The brute force's score of this very sequence.
      double want = 0;
      std::vector<int32_t> prefix;
      for (size_t i = 0; i <= h.ids.size() && i < max_length; ++i) {
        const int32_t t = i < h.ids.size() ? h.ids[i] : kEos;
        want += NextLogProbs(gen, s, prefix)[static_cast<size_t>(t)];
        prefix.push_back(t);
      }
      EXPECT_NEAR(h.score, want, 1e-4);
    }
  }
}

// A hook that forbids one token (the unfiltered search's first choice) is
// honoured on every beam row of every source: no returned hypothesis holds
// it, and with the end token held off (min_length) each step after the
// first calls the hook once per beam.
TEST(BeamLogitsHook, ForbiddenTokenHonouredOnEveryRow) {
  auto model = F32Model();
  Generator gen(model, Limits{2, 16, 8, 4});
  const size_t k = 4, max_length = 6;
  GenerateOptions free;
  free.beam = k;
  free.max_length = max_length;
  free.num_hypotheses = k;
  const auto unfiltered = gen.Generate(kSources, free);
  for (size_t s = 0; s < kSources.size(); ++s) {
    const int32_t banned = unfiltered[s][0].ids.at(0);
    GenerateOptions o = free;
    o.min_length = max_length;
    std::vector<size_t> calls(max_length, 0);
    o.on_logits = [&](size_t source, std::span<float> logits, std::span<const int32_t> chosen) {
      if (source != s) return;
      ++calls.at(chosen.size());
      logits[static_cast<size_t>(banned)] = kDisabledLogit;
    };
    const auto got = gen.Generate(kSources, o);
    ASSERT_EQ(got[s].size(), k);
    for (const Hypothesis& h : got[s]) {
      EXPECT_EQ(std::find(h.ids.begin(), h.ids.end(), banned), h.ids.end()) << "source " << s;
    }
    EXPECT_EQ(calls[0], 1u);
    for (size_t step = 1; step < max_length; ++step) EXPECT_EQ(calls[step], k) << "step " << step;
  }
}

// Beam 1 with the hook is greedy with the hook: each step the argmax of
// the brute force's filtered distribution at the path so far, the same
// score; and with an empty source in the batch the hook still gets the
// caller's source index.
TEST(BeamLogitsHook, BeamOneIsGreedyUnderTheHook) {
  auto model = F32Model();
  Generator gen(model, Limits{3, 16, 8, 2});
  const size_t max_length = 6;
  GenerateOptions o;
  o.beam = 1;
  o.max_length = max_length;
  std::vector<size_t> sources_seen;
  o.on_logits = [&](size_t source, std::span<float> logits, std::span<const int32_t> chosen) {
    sources_seen.push_back(source);
    Filter(logits, chosen);
  };
  const std::vector<std::vector<int32_t>> batch = {{}, kSources[0], kSources[1]};
  const auto got = gen.Generate(batch, o);
  EXPECT_EQ(std::count(sources_seen.begin(), sources_seen.end(), 0u), 0);
  EXPECT_GT(std::count(sources_seen.begin(), sources_seen.end(), 2u), 0);
  for (size_t s = 0; s < kSources.size(); ++s) {
    std::vector<int32_t> path;
    double score = 0;
    for (size_t step = 0; step < max_length; ++step) {
      const auto lp = NextLogProbs(gen, s, path);
      const size_t best = static_cast<size_t>(std::max_element(lp.begin(), lp.end()) - lp.begin());
      score += lp[best];
      if (static_cast<int32_t>(best) == kEos) break;
      path.push_back(static_cast<int32_t>(best));
    }
    EXPECT_EQ(got[s + 1][0].ids, path) << "source " << s;
    EXPECT_NEAR(got[s + 1][0].score, score, 1e-4) << "source " << s;
  }
}

// The hook costs the beam's decode loop nothing: a beam-4 decode of many
// steps with it makes as many heap allocations as one of two steps.
TEST(BeamLogitsHook, AllocatesNothingPerStep) {
  if (!test::AllocCountingAvailable()) GTEST_SKIP() << "allocation counting needs a build without sanitizers";
  auto model = F32Model();
  Generator gen(model, Limits{1, 16, 40, 4});
  size_t calls = 0;
  auto allocations = [&](size_t steps) {
    GenerateOptions o;
    o.beam = 4;
    o.max_length = steps;
    o.min_length = steps;  // no early end: exactly `steps` steps, nothing finishes before the limit
    o.on_logits = [&](size_t, std::span<float> logits, std::span<const int32_t> chosen) {
      ++calls;
      logits[chosen.empty() ? 5 : static_cast<size_t>(chosen.back())] = kDisabledLogit;  // no immediate repeat
    };
    gen.Generate({kSources[0]}, o);  // warm-up: first-use caches
    test::StartCountingAllocations();
    gen.Generate({kSources[0]}, o);
    return test::StopCountingAllocations();
  };
  const size_t short_run = allocations(2), long_run = allocations(40);
  EXPECT_EQ(long_run, short_run) << "38 more beam steps made " << long_run - short_run << " allocations";
  EXPECT_GT(calls, 0u);
}

TEST(BeamLogitsHook, RefusedWithBiasAndAlternatives) {
  auto model = F32Model();
  Generator gen(model, Limits{1, 16, 8, 2});
  GenerateOptions o;
  o.beam = 2;
  o.max_length = 8;
  o.on_logits = [](size_t, std::span<float>, std::span<const int32_t>) {};
  EXPECT_NO_THROW(gen.Validate(o));
  GenerateOptions bias = o;
  bias.prefix_bias_beta = 0.5f;
  EXPECT_THROW(gen.Validate(bias), Error);
  GenerateOptions alt = o;
  alt.return_alternatives = true;
  EXPECT_THROW(gen.Validate(alt), Error);
}

}  // namespace
}  // namespace edgeseq::runtime
