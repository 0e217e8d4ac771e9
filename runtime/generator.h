// One caller's handle on a Model: a Workspace planned once for its Limits,
// and the searches. Not thread-safe itself; use one Generator per thread
// (they may share a Model).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <vector>

#include "runtime/model.h"
#include "runtime/workspace.h"

namespace edgeseq::runtime {

struct GenerateOptions {
  size_t max_length = 256;  // decoding steps; an EOS counts as one
  size_t min_length = 0;    // EOS is not chosen before this many tokens
};

struct Hypothesis {
  std::vector<int32_t> ids;  // without the decoder start token and the final EOS
  float score = 0;           // sum of the log-probabilities of the chosen tokens (EOS included)
};

class Generator {
 public:
  Generator(std::shared_ptr<const Model> model, const Limits& limits);

  // Greedy decoding of each source (ids). Throws Error(kInput/kLimit).
  std::vector<Hypothesis> Greedy(const std::vector<std::vector<int32_t>>& sources, const GenerateOptions& options);

  // Teacher forcing: the total log-probability of each target followed by
  // EOS, decoding from the decoder start token.
  std::vector<float> Score(const std::vector<std::vector<int32_t>>& sources,
                           const std::vector<std::vector<int32_t>>& targets);

  const Model& model() const { return *model_; }
  const Limits& limits() const { return ws_.limits; }

 private:
  void CheckSources(const std::vector<std::vector<int32_t>>& sources) const;

  std::shared_ptr<const Model> model_;
  Workspace ws_;
  std::vector<float> row_;  // one row of log-probabilities
};

}  // namespace edgeseq::runtime
