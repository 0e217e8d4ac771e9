#include "tools/generate.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>

#include "loaders/esq_error.h"
#include "loaders/esq_format.h"
#include "ops/threads.h"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/text_codec.h"

namespace edgeseq::tools {
namespace {

// This process's peak resident memory (VmHWM: this program's own mappings;
// getrusage's maxrss would include the process that exec'd it), or -1.
double PeakResidentMegabytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return -1.0;
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Input lines for batching: Next waits for one line; Ready says whether
// another whole line can be had without waiting. A batch is the line that
// was waited for and then only lines that are Ready, so a program that
// writes one line and waits for the answer gets it, while a file piped in
// is still read a full batch at a time.
class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its '\n' (a last line without one counts); false
  // at the end of the input.
  virtual bool Next(std::string& line) = 0;
  virtual bool Ready() = 0;
  // Why the input ended early ("" at a normal end).
  virtual std::string error() const { return ""; }
};

// A stream (a string stream in the tests and the fuzzer): Ready while the
// buffer holds more.
class StreamLines : public LineReader {
 public:
  explicit StreamLines(std::istream& in) : in_(in) {}
  bool Next(std::string& line) override { return static_cast<bool>(std::getline(in_, line)); }
  bool Ready() override { return in_.rdbuf()->in_avail() > 0; }

 private:
  std::istream& in_;
};

// A file descriptor (stdin), read with read() into our own buffer; Ready
// asks poll() whether more bytes are there before reading them.
class FdLines : public LineReader {
 public:
  explicit FdLines(int fd) : fd_(fd) {}
  bool Next(std::string& line) override {
    while (!HasLine()) {
      if (eof_) return false;
      Fill(/*wait=*/true);
    }
    Take(line);
    return true;
  }
  bool Ready() override {
    while (!HasLine()) {
      if (eof_ || !Fill(/*wait=*/false)) return false;
    }
    return true;
  }
  std::string error() const override { return error_; }

 private:
  bool HasLine() const {
    return buf_.find('\n', scan_) != std::string::npos || (eof_ && pos_ < buf_.size());
  }
  void Take(std::string& line) {
    const size_t nl = buf_.find('\n', pos_);
    const size_t end = nl == std::string::npos ? buf_.size() : nl;
    line.assign(buf_, pos_, end - pos_);
    pos_ = scan_ = nl == std::string::npos ? buf_.size() : nl + 1;
  }
  // Reads what is there (waiting for it only if `wait`); false when nothing
  // is there without waiting.
  bool Fill(bool wait) {
    if (!wait) {
      pollfd p{fd_, POLLIN, 0};
      int r;
      do r = poll(&p, 1, 0);
      while (r < 0 && errno == EINTR);
      if (r == 0) return false;  // r < 0: let read() report it
    }
    if (pos_ > 0) {  // drop the lines already taken
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    scan_ = buf_.size();  // no '\n' before here
    char chunk[1 << 16];
    ssize_t n;
    do n = read(fd_, chunk, sizeof(chunk));
    while (n < 0 && errno == EINTR);
    if (n < 0) error_ = std::string("cannot read the input: ") + strerror(errno);
    if (n <= 0) {
      eof_ = true;
    } else {
      buf_.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }

  int fd_;
  std::string buf_;
  size_t pos_ = 0;   // start of the next line in buf_
  size_t scan_ = 0;  // buf_ holds no '\n' in [pos_, scan_)
  bool eof_ = false;
  std::string error_;
};

struct Loaded {
  std::shared_ptr<const runtime::Model> model;
  std::unique_ptr<runtime::Generator> gen;
  std::optional<runtime::TextCodec> src, tgt;
  int32_t source_language = -1;          // --source-lang's token; -1: none
  std::vector<int32_t> target_language;  // --target-lang's token (forced first); empty: none
  size_t max_source = 0;
  double load_seconds = 0;
};

// Loads the model and sizes a Generator; on failure writes one line and
// returns nullopt.
std::optional<Loaded> Load(const GenerateCliOptions& o, const char* cmd, size_t max_target, std::ostream& err) {
  const auto t0 = Clock::now();
  try {
    ops::SetThreads(o.threads);
    Loaded l;
    l.model = runtime::Model::Load(o.model);
    const auto& c = l.model->config();
    if (max_target == 0) {
      err << "edgeseq " << cmd << ": --max-len must be at least 1\n";
      return std::nullopt;
    }
    const size_t target_positions = loaders::DecoderPositions(c);
    if (max_target == kAutoLength) max_target = std::min<size_t>(256, target_positions);
    if (max_target > target_positions) {
      err << "edgeseq " << cmd << ": --max-len " << max_target << " exceeds the model's " << target_positions
          << " positions\n";
      return std::nullopt;
    }
    l.max_source = std::min<size_t>(c.max_positions, 512);
    runtime::Limits limits;
    limits.max_batch = std::max<size_t>(o.batch, 1);
    limits.max_source = l.max_source;
    limits.max_target = std::max<size_t>(max_target, 1);
    limits.max_beam = std::max<size_t>(o.beam, 1);
    l.gen = std::make_unique<runtime::Generator>(l.model, limits);
    if (!o.ids) {
      l.src.emplace(l.model->file(), true);
      l.tgt.emplace(l.model->file(), false);
    }
    const loaders::TextTokens* tt = l.model->file().text_tokens();
    if (!o.source_language.empty()) {
      if (o.ids) throw runtime::Error(runtime::ErrorKind::kInput, "--source-lang frames text: not with --ids");
      if (!tt || tt->source_place == loaders::SourceLanguagePlace::kNone) {
        throw runtime::Error(runtime::ErrorKind::kInput, "--source-lang: the model does not take a source language");
      }
      l.source_language = l.src->LanguageId(o.source_language);
    }
    // A multilingual model used without its languages still runs (ids may
    // carry them), but say so once: the output is then rarely what is meant.
    if (tt && tt->source_place != loaders::SourceLanguagePlace::kNone && o.source_language.empty() && !o.ids) {
      err << "edgeseq " << cmd << ": warning: the model takes a source language (--source-lang; 'edgeseq inspect' "
          << "lists them); sources are framed without one\n";
    }
    if (tt && tt->target_place == loaders::TargetLanguagePlace::kFirstToken && o.target_language.empty() &&
        c.forced_bos_id < 0) {
      err << "edgeseq " << cmd << ": warning: the model writes the language whose token comes first (--target-lang); "
          << "none is given\n";
    }
    if (!o.target_language.empty()) {
      if (!tt || tt->target_place != loaders::TargetLanguagePlace::kFirstToken) {
        throw runtime::Error(runtime::ErrorKind::kInput,
                             "--target-lang: the model does not choose its target language by a token");
      }
      l.target_language = {runtime::TextCodec(l.model->file(), false).LanguageId(o.target_language)};
    }
    l.load_seconds = Seconds(t0, Clock::now());
    return l;
  } catch (const std::bad_alloc&) {
    err << "edgeseq " << cmd << ": out of memory loading " << o.model << " and planning its buffers (batch "
        << o.batch << ", beam " << o.beam << ")\n";
    return std::nullopt;
  } catch (const std::exception& e) {
    err << "edgeseq " << cmd << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

// Warns (one line per token) about text tokens read as the unknown id.
void WarnUnknown(const char* cmd, size_t line_no, const std::vector<std::string>& unknown, int32_t unk_id,
                 std::ostream& err) {
  for (const std::string& tok : unknown) {
    err << "edgeseq " << cmd << ": warning: line " << line_no << ": '" << tok
        << "' is not in the model's vocabulary; read as the unknown token (id " << unk_id << ")\n";
  }
}

// A source line as ids; throws runtime::Error. Text goes through the model's
// conventions (normalization, unknown id, framing); --ids are verbatim. An
// empty line is an empty source (generate answers it with an empty line).
std::vector<int32_t> SourceIds(const Loaded& l, const GenerateCliOptions& o, std::string_view text, const char* cmd,
                               size_t line_no, std::ostream& err) {
  std::vector<int32_t> ids;
  if (o.ids) {
    ids = runtime::ParseIds(text, l.model->config().src_vocab_size);
  } else {
    std::vector<std::string> unknown;
    ids = l.src->Frame(l.src->EncodeTokens(text, &unknown), l.source_language);
    WarnUnknown(cmd, line_no, unknown, l.src->unk_id(), err);
  }
  // --max-input-len: the Generator cuts longer sources (to at most max_source).
  if (ids.size() > l.max_source && o.max_input_length == 0) {
    throw runtime::Error(runtime::ErrorKind::kInput, std::to_string(ids.size()) + " tokens, more than the " + std::to_string(l.max_source) +
                     " a source may have (--max-input-len cuts longer sources)");
  }
  return ids;
}

// The target part of an input line (score's TARGET, generate's target
// prefix) as ids: --ids verbatim, else through the target vocabulary, each
// token read as the unknown id warned about.
std::vector<int32_t> TargetLineIds(const Loaded& l, const GenerateCliOptions& o, std::string_view text, const char* cmd,
                                   size_t line_no, std::ostream& err) {
  std::vector<int32_t> ids = l.target_language;  // --target-lang's token comes first
  if (o.ids) {
    const std::vector<int32_t> given = runtime::ParseIds(text, l.model->config().tgt_vocab_size);
    ids.insert(ids.end(), given.begin(), given.end());
    return ids;
  }
  std::vector<std::string> unknown;
  const std::vector<int32_t> given = l.tgt->Encode(text, &unknown);
  ids.insert(ids.end(), given.begin(), given.end());
  WarnUnknown(cmd, line_no, unknown, l.tgt->unk_id(), err);
  return ids;
}

// Tokens given on the command line (--end-token, --suppress) as target ids:
// with --ids, ids; else tokens of the target vocabulary, exactly as it
// holds them (CTranslate2 takes tokens there too), separated by spaces. A
// token not in it is an error naming the flag.
std::vector<int32_t> TargetIds(const Loaded& l, const GenerateCliOptions& o, std::string_view text, const char* flag) {
  const uint32_t vocab = l.model->config().tgt_vocab_size;
  if (o.ids) {
    try {
      return runtime::ParseIds(text, vocab);
    } catch (const runtime::Error& e) {
      throw runtime::Error(runtime::ErrorKind::kInput, std::string(flag) + ": " + e.what());
    }
  }
  const loaders::Vocabulary* v = l.model->file().tgt_vocab();
  std::vector<int32_t> out;
  for (std::string_view t : runtime::SplitWords(text)) {
    const auto it = std::find(v->tokens.begin(), v->tokens.end(), t);
    if (it == v->tokens.end()) {
      throw runtime::Error(runtime::ErrorKind::kInput,
                           std::string(flag) + ": '" + std::string(t) + "' is not in the target vocabulary");
    }
    out.push_back(static_cast<int32_t>(it - v->tokens.begin()));
  }
  return out;
}

}  // namespace

// Word mode (runtime::SourceIsWords): each whitespace-separated word of a
// line is decoded on its own; the line's output joins theirs with " | ".
bool WordMode(const Loaded& l, const GenerateCliOptions& o) {
  return !o.ids && runtime::SourceIsWords(l.model->file());
}

namespace {

int Generate(const GenerateCliOptions& o, LineReader& in, std::ostream& out, std::ostream& err) {
  auto loaded = Load(o, "generate", o.max_length, err);
  if (!loaded) return 1;
  Loaded& l = *loaded;
  const bool word_mode = WordMode(l, o);
  runtime::GenerateOptions g;
  g.max_length = l.gen->limits().max_target;
  g.min_length = o.min_length;
  g.beam = o.beam;
  g.length_penalty = o.length_penalty;
  g.num_hypotheses = o.num_hypotheses;
  g.sample = o.sample;
  g.top_k = o.top_k;
  g.top_p = o.top_p;
  g.temperature = o.temperature;
  g.seed = o.seed;
  g.repetition_penalty = o.repetition_penalty;
  g.no_repeat_ngram_size = o.no_repeat_ngram_size;
  g.disable_unk = o.disable_unk;
  g.return_end_token = o.return_end_token;
  g.max_input_length = o.max_input_length;
  g.normalize_scores = o.normalize_scores;
  g.return_alternatives = o.return_alternatives;
  g.return_attention = o.return_attention;
  g.patience = o.patience;
  g.prefix_bias_beta = o.prefix_bias_beta;
  g.coverage_penalty = o.coverage_penalty;
  g.replace_unknowns = o.replace_unknowns;
  g.min_alternative_expansion_prob = o.min_alternative_expansion_prob;
  // The options are checked before any input is read.
  try {
    for (const std::string& e : o.end_tokens) {
      const std::vector<int32_t> id = TargetIds(l, o, e, "--end-token");
      if (id.size() != 1) {
        throw runtime::Error(runtime::ErrorKind::kInput, "--end-token '" + e + "' is not one token");
      }
      g.end_tokens.push_back(id[0]);
    }
    for (const std::string& s : o.suppress) g.suppress_sequences.push_back(TargetIds(l, o, s, "--suppress"));
    if (o.replace_unknowns && o.ids) {
      throw runtime::Error(runtime::ErrorKind::kInput, "--replace-unknowns writes text: not with --ids");
    }
    if (o.prefix_bias_beta > 0.0f && !o.target_prefix) {
      throw runtime::Error(runtime::ErrorKind::kInput, "--prefix-bias-beta biases toward --target-prefix: give both");
    }
    if (o.target_prefix && word_mode) {
      throw runtime::Error(runtime::ErrorKind::kInput,
                           "--target-prefix takes one source per line: not a word model in text mode (use --ids)");
    }
    l.gen->Validate(g);
  } catch (const runtime::Error& e) {
    err << "edgeseq generate: " << e.what() << "\n";
    return 1;
  }
  const size_t batch_size = std::max<size_t>(o.batch, 1);
  size_t line_no = 0, sentences = 0, tokens = 0, batches = 0;
  double decode_seconds = 0;
  std::string line;
  // A batch: the line waited for, then the lines already there (LineReader),
  // up to batch_size. Each line is one or more sources (words); bad lines
  // are kept (as nullopt) so their empty output stays in place.
  while (in.Next(line)) {
    std::vector<std::optional<size_t>> first_source;  // per line: index of its first source
    std::vector<size_t> source_count;
    std::vector<std::vector<int32_t>> sources, prefixes;  // prefixes: with --target-prefix, one per source
    std::vector<std::string> texts;  // with --replace-unknowns: each source's text
    do {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF input
      try {
        std::vector<std::vector<int32_t>> mine;
        std::vector<std::string_view> mine_texts;
        if (o.target_prefix) {
          const size_t tab = line.find('\t');
          const std::string_view text(line);
          std::vector<int32_t> prefix = l.target_language;
          if (tab != std::string::npos) {
            prefix = TargetLineIds(l, o, text.substr(tab + 1), "generate", line_no, err);
            if (prefix.size() > g.max_length) {
              throw runtime::Error(runtime::ErrorKind::kInput, "the target prefix has " + std::to_string(prefix.size()) +
                                                                   " tokens, more than --max-len " +
                                                                   std::to_string(g.max_length));
            }
          }
          mine_texts.push_back(text.substr(0, tab));
          mine.push_back(SourceIds(l, o, text.substr(0, tab), "generate", line_no, err));
          prefixes.push_back(std::move(prefix));
        } else if (word_mode) {
          for (std::string_view w : runtime::SplitWords(line)) {
            mine_texts.push_back(w);
            try {
              mine.push_back(SourceIds(l, o, w, "generate", line_no, err));
            } catch (const runtime::Error& e) {
              if (!o.skip_bad) throw;
              // One word of several: only it is left out (an empty source, an
              // empty pronunciation between the others' separators).
              err << "edgeseq generate: warning: line " << line_no << ": '" << w << "': " << e.what()
                  << " (skipped)\n";
              mine.emplace_back();
            }
          }
        } else {
          mine_texts.push_back(line);
          mine.push_back(SourceIds(l, o, line, "generate", line_no, err));
        }
        if (o.replace_unknowns) {
          for (std::string_view t : mine_texts) texts.emplace_back(t);
        }
        first_source.emplace_back(sources.size());
        source_count.push_back(mine.size());
        for (auto& m : mine) sources.push_back(std::move(m));
      } catch (const runtime::Error& e) {
        if (!o.skip_bad) {
          err << "edgeseq generate: line " << line_no << ": " << e.what() << " (--skip-bad goes on past such lines)\n";
          return 1;
        }
        err << "edgeseq generate: warning: line " << line_no << ": " << e.what() << " (skipped)\n";
        first_source.emplace_back(std::nullopt);
        source_count.push_back(0);
      }
    } while (first_source.size() < batch_size && in.Ready() && in.Next(line));
    ++batches;
    std::vector<std::vector<runtime::Hypothesis>> hyps;
    const auto t0 = Clock::now();
    for (size_t start = 0; start < sources.size(); start += batch_size) {
      const size_t end = std::min(sources.size(), start + batch_size);
      try {
        if (o.target_prefix) {
          g.target_prefix.assign(prefixes.begin() + start, prefixes.begin() + end);
        } else if (!l.target_language.empty()) {
          g.target_prefix.assign(end - start, l.target_language);  // --target-lang: forced first
        }
        auto part = l.gen->Generate({sources.begin() + start, sources.begin() + end}, g);
        for (auto& p : part) hyps.push_back(std::move(p));
      } catch (const runtime::Error& e) {  // options the model cannot take (e.g. beam > vocabulary)
        err << "edgeseq generate: " << e.what() << "\n";
        return 1;
      }
    }
    decode_seconds += Seconds(t0, Clock::now());
    for (size_t li = 0; li < first_source.size(); ++li) {
      if (!first_source[li]) {
        out << "\n";
        continue;
      }
      for (size_t w = 0; w < source_count[li]; ++w) {
        if (w) out << " | ";
        const auto& nbest = hyps[*first_source[li] + w];
        for (size_t i = 0; i < nbest.size(); ++i) {
          const runtime::Hypothesis& h = nbest[i];
          if (i) out << " ||| ";
          if (o.scores) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%.6f\t", h.score);
            out << buf;
          }
          if (o.ids) {
            out << runtime::FormatIds(h.ids);
          } else if (o.replace_unknowns) {
            out << runtime::DecodeReplacingUnknowns(*l.src, texts[*first_source[li] + w], *l.tgt, h.ids, h.attention);
          } else {
            out << l.tgt->Decode(h.ids);
          }
          if (o.return_attention) {  // one row per output token, its weights over the source's tokens
            out << '\t';
            for (size_t t = 0; t < h.attention.size(); ++t) {
              if (t) out << " ; ";
              for (size_t j = 0; j < h.attention[t].size(); ++j) {
                char buf[32];
                snprintf(buf, sizeof(buf), j ? " %.6g" : "%.6g", h.attention[t][j]);
                out << buf;
              }
            }
          }
          tokens += h.ids.size();
        }
        ++sentences;
      }
      out << "\n";
    }
    out.flush();  // the answer goes out before waiting for more input
  }
  if (!in.error().empty()) {
    err << "edgeseq generate: " << in.error() << "\n";
    return 1;
  }
  if (o.stats) {
    char buf[512];
    const double encode = l.gen->encode_seconds();
    snprintf(buf, sizeof(buf),
             "edgeseq generate: load %.1f ms; %zu lines in %zu batches; %zu sentences, %zu tokens in %.1f ms: encode %.1f ms, decode %.1f ms "
             "(%.2f ms/sentence, %.0f tokens/s; %d threads, %s buffers; peak memory %.1f MB)\n",
             l.load_seconds * 1e3, line_no, batches, sentences, tokens, decode_seconds * 1e3, encode * 1e3,
             (decode_seconds - encode) * 1e3, sentences ? decode_seconds * 1e3 / sentences : 0.0,
             decode_seconds > 0 ? tokens / decode_seconds : 0.0, ops::Threads(), runtime::BufferAllocatorName(),
             PeakResidentMegabytes());
    err << buf;
  }
  return 0;
}

int Score(const GenerateCliOptions& o, LineReader& in, std::ostream& out, std::ostream& err) {
  auto loaded = Load(o, "score", o.max_length, err);
  if (!loaded) return 1;
  Loaded& l = *loaded;
  const size_t batch_size = std::max<size_t>(o.batch, 1);
  size_t line_no = 0;
  std::string line;
  // Batched as in Generate: the line waited for, then those already there.
  while (in.Next(line)) {
    std::vector<std::optional<size_t>> pair;  // per line: index into sources/targets, nullopt if skipped
    std::vector<std::vector<int32_t>> sources, targets;
    do {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF input
      try {
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) throw runtime::Error(runtime::ErrorKind::kInput, "expected SOURCE<TAB>TARGET");
        const std::string_view text(line);
        std::vector<int32_t> src = SourceIds(l, o, text.substr(0, tab), "score", line_no, err);
        std::vector<int32_t> tgt = TargetLineIds(l, o, text.substr(tab + 1), "score", line_no, err);
        if (tgt.size() + 1 > l.gen->limits().max_target) {
          throw runtime::Error(runtime::ErrorKind::kInput, "the target needs " + std::to_string(tgt.size() + 1) + " steps, more than --max-len " +
                           std::to_string(l.gen->limits().max_target) + " (the default is the model's positions, at most 256)");
        }
        pair.emplace_back(sources.size());
        sources.push_back(std::move(src));
        targets.push_back(std::move(tgt));
      } catch (const runtime::Error& e) {
        if (!o.skip_bad) {
          err << "edgeseq score: line " << line_no << ": " << e.what() << "\n";
          return 1;
        }
        err << "edgeseq score: warning: line " << line_no << ": " << e.what() << " (skipped)\n";
        pair.emplace_back(std::nullopt);
      }
    } while (pair.size() < batch_size && in.Ready() && in.Next(line));
    std::vector<std::vector<float>> scores;
    if (!sources.empty()) {
      try {
        scores = l.gen->ScoreTokens(sources, targets);
      } catch (const runtime::Error& e) {
        err << "edgeseq score: " << e.what() << "\n";
        return 1;
      }
    }
    char buf[32];
    for (const auto& p : pair) {
      if (p) {
        const std::vector<float>& t = scores[*p];
        if (o.score_tokens) {
          for (size_t i = 0; i < t.size(); ++i) {
            snprintf(buf, sizeof(buf), "%s%.6f", i ? " " : "", t[i]);
            out << buf;
          }
        } else {
          float sum = 0.0f;  // as runtime::Generator::Score sums
          for (float x : t) sum += x;
          snprintf(buf, sizeof(buf), "%.6f", sum);
          out << buf;
        }
      }
      out << "\n";
    }
    out.flush();  // the answer goes out before waiting for more input
  }
  if (!in.error().empty()) {
    err << "edgeseq score: " << in.error() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunGenerate(const GenerateCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
  StreamLines lines(in);
  return Generate(o, lines, out, err);
}

int RunGenerate(const GenerateCliOptions& o, int in_fd, std::ostream& out, std::ostream& err) {
  FdLines lines(in_fd);
  return Generate(o, lines, out, err);
}

int RunScore(const GenerateCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
  StreamLines lines(in);
  return Score(o, lines, out, err);
}

int RunScore(const GenerateCliOptions& o, int in_fd, std::ostream& out, std::ostream& err) {
  FdLines lines(in_fd);
  return Score(o, lines, out, err);
}

}  // namespace edgeseq::tools
