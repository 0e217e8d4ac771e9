// Token choice for sampling (the beam search lives in search.cc too, as
// Generator::Beam).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <random>
#include <vector>

#include "runtime/generator.h"

namespace edgeseq::runtime {

// Draws a token from a row of log-probabilities: tempered by
// o.temperature, restricted to the o.top_k most likely tokens (0: all) and
// to the smallest most-likely set whose probability reaches o.top_p.
// Reproducible: the draw uses the generator's raw 64-bit output, not a
// library distribution. `order` is scratch of V entries.
int32_t Sample(const float* logprobs, size_t V, const GenerateOptions& o, std::mt19937_64& rng,
               std::vector<int32_t>& order);

}  // namespace edgeseq::runtime
