// `edgeseq generate` and `edgeseq score`: one source per input line, one
// output line per input line, in order.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <iosfwd>
#include <string>
#include <vector>

namespace edgeseq::tools {

inline constexpr size_t kAutoLength = ~size_t{0};

struct GenerateCliOptions {
  std::string model;
  bool ids = false;          // lines are space-separated ids (else text through the vocabularies)
  size_t max_length = kAutoLength;  // decoding steps (EOS counts); auto: min(256, max_positions)
  size_t min_length = 0;
  size_t beam = 1;
  float length_penalty = 1.0f;
  size_t num_hypotheses = 1;  // > 1: hypotheses on one line, separated by " ||| "
  bool sample = false;
  size_t top_k = 0;
  float top_p = 1.0f;
  float temperature = 1.0f;
  uint64_t seed = 0;
  // CTranslate2's TranslationOptions (runtime::GenerateOptions has each).
  float repetition_penalty = 1.0f;
  size_t no_repeat_ngram_size = 0;
  bool disable_unk = false;
  std::vector<std::string> suppress;    // each: target tokens separated by spaces (ids with --ids)
  std::vector<std::string> end_tokens;  // each: a target token (an id with --ids); none: the model's EOS
  bool return_end_token = false;
  size_t max_input_length = 0;          // 0: none
  bool normalize_scores = false;        // scores / length^length_penalty
  bool target_prefix = false;           // lines are SOURCE<TAB>TARGET_PREFIX (hard prefix; no tab: none)
  bool return_alternatives = false;     // num_hypotheses alternatives after the prefix
  bool return_attention = false;        // each output followed by <TAB> and its alignment rows
  float patience = 1.0f;                // beam: CTranslate2's patience
  float prefix_bias_beta = 0.0f;        // > 0: --target-prefix is a soft bias (CTranslate2's)
  float coverage_penalty = 0.0f;        // CTranslate2's coverage_penalty
  bool replace_unknowns = false;        // text mode: an unknown target token → the most attended source token
  float min_alternative_expansion_prob = 0.0f;
  // Multilingual models (runtime::TextCodec::LanguageId): the source text's
  // language token framed where the model puts it (text mode only), and the
  // target language's token forced first (before any --target-prefix).
  std::string source_language, target_language;
  size_t batch = 16;         // lines decoded together
  bool scores = false;       // "score<TAB>" before each output
  bool stats = false;        // timings on stderr
  bool score_tokens = false; // score: one log-probability per target token (and the EOS), not their sum
  bool skip_bad = false;     // bad line: warning + empty output line, instead of stopping
  int threads = 0;           // 0: leave OpenMP's default
};

// Exit status: 0; 1 when an input line is bad (without skip_bad) or the
// model cannot be loaded, after one line on `err`.
// Lines are decoded in batches of up to o.batch: the line waited for, then
// only the lines already there, and each batch's answers are flushed before
// more input is awaited, so an interactive caller gets each answer as soon as
// its line is decoded. From a file descriptor (the CLI: stdin) "already
// there" means poll() finds it; from a stream, that the stream buffer holds it.
int RunGenerate(const GenerateCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err);
int RunGenerate(const GenerateCliOptions& o, int in_fd, std::ostream& out, std::ostream& err);
// Lines "SOURCE<TAB>TARGET"; prints the log-probability of TARGET + EOS.
// Batched and flushed as RunGenerate.
int RunScore(const GenerateCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err);
int RunScore(const GenerateCliOptions& o, int in_fd, std::ostream& out, std::ostream& err);

}  // namespace edgeseq::tools
