#include "runtime/generator.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ops/softmax.h"
#include "runtime/error.h"
#include "runtime/transformer.h"

namespace edgeseq::runtime {

Generator::Generator(std::shared_ptr<const Model> model, const Limits& limits)
    : model_(std::move(model)), ws_(*model_, limits), row_(model_->config().tgt_vocab_size) {}

void Generator::CheckSources(const std::vector<std::vector<int32_t>>& sources) const {
  const auto& c = model_->config();
  if (sources.empty()) throw Error(ErrorKind::kInput, "no sources");
  if (sources.size() > ws_.limits.max_batch) {
    throw Error(ErrorKind::kLimit, std::to_string(sources.size()) + " sources, the generator takes at most " +
                                       std::to_string(ws_.limits.max_batch));
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    if (s.empty()) throw Error(ErrorKind::kInput, "source " + std::to_string(i) + " is empty");
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

std::vector<Hypothesis> Generator::Greedy(const std::vector<std::vector<int32_t>>& sources,
                                          const GenerateOptions& o) {
  CheckSources(sources);
  if (o.max_length > ws_.limits.max_target) {
    throw Error(ErrorKind::kLimit, "max length " + std::to_string(o.max_length) + " exceeds the generator's " +
                                       std::to_string(ws_.limits.max_target));
  }
  const auto& c = model_->config();
  const size_t batch = sources.size(), V = c.tgt_vocab_size;
  const size_t S = Encode(*model_, ws_, sources);
  std::vector<Hypothesis> out(batch);
  std::vector<bool> done(batch, false);
  for (size_t b = 0; b < batch; ++b) ws_.dec_ids[b] = c.decoder_start_id;
  for (size_t step = 0; step < o.max_length; ++step) {
    DecodeStep(*model_, ws_, batch, S, step);
    bool all_done = true;
    for (size_t b = 0; b < batch; ++b) {
      if (done[b]) continue;
      float* row = row_.data();
      std::copy_n(ws_.logits.data() + b * V, V, row);
      ops::LogSoftmax(row, 1, V);
      if (out[b].ids.size() < o.min_length) row[c.eos_id] = -std::numeric_limits<float>::infinity();
      const int32_t best = static_cast<int32_t>(std::max_element(row, row + V) - row);
      out[b].score += row[best];
      if (best == c.eos_id) {
        done[b] = true;
      } else {
        out[b].ids.push_back(best);
        all_done = false;
      }
      ws_.dec_ids[b] = best;  // finished rows keep decoding harmlessly until all are done
    }
    if (all_done) break;
  }
  return out;
}

std::vector<float> Generator::Score(const std::vector<std::vector<int32_t>>& sources,
                                    const std::vector<std::vector<int32_t>>& targets) {
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
  const size_t batch = sources.size(), V = c.tgt_vocab_size;
  const size_t S = Encode(*model_, ws_, sources);
  std::vector<float> scores(batch, 0.0f);
  for (size_t b = 0; b < batch; ++b) ws_.dec_ids[b] = c.decoder_start_id;
  for (size_t step = 0; step < steps; ++step) {
    DecodeStep(*model_, ws_, batch, S, step);
    for (size_t b = 0; b < batch; ++b) {
      const auto& t = targets[b];
      if (step > t.size()) continue;  // this one is complete
      const int32_t want = step < t.size() ? t[step] : c.eos_id;
      float* row = row_.data();
      std::copy_n(ws_.logits.data() + b * V, V, row);
      ops::LogSoftmax(row, 1, V);
      scores[b] += row[want];
      ws_.dec_ids[b] = want;
    }
  }
  return scores;
}

}  // namespace edgeseq::runtime
