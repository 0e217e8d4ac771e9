// The C API (edgeseq/edgeseq.h) over the C++ API (edgeseq/edgeseq.hpp).
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "edgeseq/edgeseq.h"
#include "edgeseq/edgeseq.hpp"
#include "ops/threads.h"
#include "runtime/text_codec.h"

// The project version (CMakeLists.txt) must be the header's.
static_assert(EDGESEQ_LIBRARY_VERSION_MAJOR == EDGESEQ_VERSION_MAJOR &&
                  EDGESEQ_LIBRARY_VERSION_MINOR == EDGESEQ_VERSION_MINOR &&
                  EDGESEQ_LIBRARY_VERSION_PATCH == EDGESEQ_VERSION_PATCH,
              "edgeseq.h's EDGESEQ_VERSION_* disagree with the project version in CMakeLists.txt");

struct edgeseq_model {
  edgeseq::Model model;
  std::vector<std::string> languages;  // Model::Languages(), for edgeseq_model_language's pointers
};
struct edgeseq_generator {
  edgeseq::Model model;  // keeps the model alive and gives text access
  edgeseq::Generator generator;
  edgeseq::ModelInfo info;
  edgeseq::Limits limits;  // resolved
};
struct edgeseq_result {
  struct Hyp {
    std::vector<int32_t> ids;
    float score = 0;
    std::string text;
    std::vector<float> attention;  // [ids][attention_width]
    size_t attention_width = 0;
  };
  std::vector<std::vector<Hyp>> sources;
  bool has_text = false;
};
struct edgeseq_transcript {
  edgeseq::Transcript transcript;
  std::vector<edgeseq_segment> segments;  // views into transcript.segments
};

namespace {

thread_local std::string g_last_error;

// Thrown inside Guard for a bad argument found mid-call.
struct ArgumentError {
  std::string message;
};

edgeseq_status Fail(edgeseq_status s, const std::string& message) {
  g_last_error = message;
  return s;
}

template <typename F>
edgeseq_status Guard(const char* fn, F&& f) {
  try {
    f();
    g_last_error.clear();
    return EDGESEQ_OK;
  } catch (const ArgumentError& e) {
    return Fail(EDGESEQ_ERROR_ARGUMENT, std::string(fn) + ": " + e.message);
  } catch (const edgeseq::Error& e) {
    const edgeseq_status s = e.code() == edgeseq::ErrorCode::kModel   ? EDGESEQ_ERROR_MODEL
                             : e.code() == edgeseq::ErrorCode::kInput ? EDGESEQ_ERROR_INPUT
                                                                      : EDGESEQ_ERROR_LIMIT;
    return Fail(s, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(EDGESEQ_ERROR_INTERNAL, std::string(fn) + ": out of memory");
  } catch (const std::exception& e) {
    return Fail(EDGESEQ_ERROR_INTERNAL, std::string(fn) + ": " + e.what());
  } catch (...) {
    return Fail(EDGESEQ_ERROR_INTERNAL, std::string(fn) + ": unknown failure");
  }
}

edgeseq_status NullArgument(const char* fn, const char* what) {
  return Fail(EDGESEQ_ERROR_ARGUMENT, std::string(fn) + ": " + what + " is NULL");
}

// A growing struct given by the caller: the fields its struct_size covers
// over `defaults`. Bytes beyond what this library knows must be zero (a
// newer header's fields left at their defaults), else the caller asked for
// something this library cannot do.
template <typename T>
T ReadSized(const T* in, const T& defaults, const char* what) {
  // Larger than any struct version will be: an uninitialized struct_size.
  constexpr size_t kMaxStructSize = 4096;
  T out = defaults;
  if (!in) return out;
  const size_t n = in->struct_size;
  if (n < sizeof(T) || n > kMaxStructSize) {
    throw ArgumentError{std::string(what) + ".struct_size is " + std::to_string(n) + ", expected " +
                        std::to_string(sizeof(T)) + " (initialize it with its _init function)"};
  }
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(T); i < n; ++i) {
    if (bytes[i] != 0) {
      throw ArgumentError{std::string(what) + " sets fields this library (edgeseq " + edgeseq_version() +
                          ") does not know"};
    }
  }
  memcpy(&out, in, sizeof(T));
  out.struct_size = sizeof(T);
  return out;
}

// Writes `full` into the caller's struct of `struct_size` bytes: what fits,
// the rest (fields of a newer header) zero.
template <typename T>
void WriteSized(const T& full, T* out, size_t struct_size) {
  memset(out, 0, struct_size);
  memcpy(out, &full, std::min(struct_size, sizeof(T)));
  out->struct_size = struct_size;
}

edgeseq_generate_params DefaultParams() {
  const edgeseq::GenerateOptions d;
  edgeseq_generate_params p;
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.max_length = d.max_length;  // 0: the generator's max_target
  p.min_length = d.min_length;
  p.beam = d.beam;
  p.length_penalty = d.length_penalty;
  p.num_hypotheses = d.num_hypotheses;
  p.sample = d.sample ? 1 : 0;
  p.temperature = d.temperature;
  p.top_k = d.top_k;
  p.top_p = d.top_p;
  p.seed = d.seed;
  p.on_token = nullptr;
  p.on_token_user_data = nullptr;
  return p;
}

std::vector<std::vector<int32_t>> Sources(const int32_t* const* sources, const size_t* lens, size_t n,
                                          const char* what);

// `first`: the index of this call's first source among the caller's (the
// text calls split a text into words and batches).
edgeseq::GenerateOptions ToOptions(const edgeseq_generate_params& p, size_t first = 0) {
  edgeseq::GenerateOptions r;
  r.max_length = p.max_length;
  r.min_length = p.min_length;
  r.beam = p.beam;
  r.length_penalty = p.length_penalty;
  r.num_hypotheses = p.num_hypotheses;
  r.sample = p.sample != 0;
  r.temperature = p.temperature;
  r.top_k = p.top_k;
  r.top_p = p.top_p;
  r.seed = p.seed;
  // 0 is "off" for every field added to the struct (edgeseq.h): here 1.
  r.repetition_penalty = p.repetition_penalty == 0.0f ? 1.0f : p.repetition_penalty;
  r.no_repeat_ngram_size = p.no_repeat_ngram_size;
  r.disable_unk = p.disable_unk != 0;
  r.suppress_sequences = Sources(p.suppress_sequences, p.suppress_sequence_lens, p.num_suppress_sequences,
                                 "suppress_sequences");
  if (p.num_end_tokens > 0 && !p.end_tokens) throw ArgumentError{"end_tokens is NULL"};
  if (p.num_end_tokens > 0) r.end_tokens.assign(p.end_tokens, p.end_tokens + p.num_end_tokens);
  r.return_end_token = p.return_end_token != 0;
  r.max_input_length = p.max_input_length;
  r.normalize_scores = p.normalize_scores != 0;
  r.target_prefix = Sources(p.target_prefixes, p.target_prefix_lens, p.num_target_prefixes, "target_prefixes");
  r.return_alternatives = p.return_alternatives != 0;
  r.min_alternative_expansion_prob = p.min_alternative_expansion_prob;
  r.return_attention = p.return_attention != 0;
  r.patience = p.patience == 0.0f ? 1.0f : p.patience;  // 0: "off" (1), as repetition_penalty
  r.prefix_bias_beta = p.prefix_bias_beta;
  r.coverage_penalty = p.coverage_penalty;
  r.replace_unknowns = p.replace_unknowns != 0;
  if (p.on_token) {
    const edgeseq_token_callback cb = p.on_token;
    void* user = p.on_token_user_data;
    r.on_token = [cb, user, first](size_t source, int32_t token) { return cb(first + source, token, user) != 0; };
  }
  return r;
}

edgeseq_generate_params FromOptions(const edgeseq_options* o) {
  edgeseq_generate_params p = DefaultParams();
  if (!o) return p;
  p.max_length = o->max_length;
  p.min_length = o->min_length;
  p.beam = o->beam;
  p.length_penalty = o->length_penalty;
  p.sample = o->sample;
  p.temperature = o->temperature;
  p.top_k = o->top_k;
  p.top_p = o->top_p;
  p.seed = o->seed;
  return p;
}

std::vector<std::vector<int32_t>> Sources(const int32_t* const* sources, const size_t* lens, size_t n,
                                          const char* what) {
  if (n > 0 && (!sources || !lens)) throw ArgumentError{std::string(what) + " or their lengths are NULL"};
  std::vector<std::vector<int32_t>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (!sources[i] && lens[i]) throw ArgumentError{std::string(what) + "[" + std::to_string(i) + "] is NULL"};
    if (lens[i]) out[i].assign(sources[i], sources[i] + lens[i]);
  }
  return out;
}

// params.target_language: its token first in each of n sources' target
// prefixes (o.target_prefix: none, or one per source).
void ApplyTargetLanguage(const edgeseq::Model& model, const edgeseq_generate_params& p, size_t n,
                         edgeseq::GenerateOptions& o) {
  if (!p.target_language || !*p.target_language) return;
  const std::vector<int32_t> lang = model.TargetLanguagePrefix(p.target_language);
  if (o.target_prefix.empty()) {
    o.target_prefix.assign(n, lang);
    return;
  }
  for (auto& prefix : o.target_prefix) prefix.insert(prefix.begin(), lang.begin(), lang.end());
}

// The best output for a text (words decoded one by one for a word model).
std::string GenerateText(edgeseq_generator* g, const char* text, const edgeseq_generate_params& p) {
  std::vector<std::vector<int32_t>> sources;
  std::vector<std::string_view> texts;  // each source's text (replace_unknowns)
  if (g->info.source_is_words) {
    texts = edgeseq::runtime::SplitWords(text);
    if (texts.empty()) throw edgeseq::Error(edgeseq::ErrorCode::kInput, "the text holds no word");
  } else {
    texts.push_back(text);
  }
  const std::string_view language = p.source_language ? p.source_language : "";
  for (std::string_view t : texts) sources.push_back(g->model.EncodeSource(t, language, nullptr));
  std::string out;
  const size_t batch = g->limits.max_batch;
  for (size_t start = 0; start < sources.size(); start += batch) {
    const size_t end = std::min(sources.size(), start + batch);
    edgeseq::GenerateOptions o = ToOptions(p, start);
    if (!o.target_prefix.empty()) {
      if (o.target_prefix.size() != sources.size()) {
        throw edgeseq::Error(edgeseq::ErrorCode::kInput, std::to_string(o.target_prefix.size()) +
                                                             " target prefixes for " + std::to_string(sources.size()) +
                                                             " sources (one per source, or none)");
      }
      o.target_prefix = {o.target_prefix.begin() + start, o.target_prefix.begin() + end};
    }
    ApplyTargetLanguage(g->model, p, end - start, o);
    const auto hyps = g->generator.Generate({sources.begin() + start, sources.begin() + end}, o);
    for (size_t i = 0; i < hyps.size(); ++i) {
      if (start + i) out += " | ";
      out += o.replace_unknowns ? g->model.DecodeTarget(hyps[i][0], texts[start + i]) : g->model.DecodeTarget(hyps[i][0].ids);
    }
  }
  return out;
}

// Ids into a malloc'd buffer (edgeseq_free; never NULL, even for none).
void CopyIds(const std::vector<int32_t>& ids, int32_t** out_ids, size_t* out_len) {
  int32_t* buf = static_cast<int32_t*>(malloc(std::max<size_t>(ids.size(), 1) * sizeof(int32_t)));
  if (!buf) throw std::bad_alloc();
  if (!ids.empty()) memcpy(buf, ids.data(), ids.size() * sizeof(int32_t));
  *out_ids = buf;
  *out_len = ids.size();
}

char* CopyString(const std::string& s) {
  char* out = static_cast<char*>(malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

#define EDGESEQ_STR2(x) #x
#define EDGESEQ_STR(x) EDGESEQ_STR2(x)

}  // namespace

extern "C" {

const char* edgeseq_version(void) {
  return EDGESEQ_STR(EDGESEQ_VERSION_MAJOR) "." EDGESEQ_STR(EDGESEQ_VERSION_MINOR) "." EDGESEQ_STR(
      EDGESEQ_VERSION_PATCH);
}

uint32_t edgeseq_version_number(void) { return EDGESEQ_VERSION_NUMBER; }

const char* edgeseq_last_error(void) { return g_last_error.c_str(); }

const char* edgeseq_status_name(edgeseq_status status) {
  switch (status) {
    case EDGESEQ_OK: return "EDGESEQ_OK";
    case EDGESEQ_ERROR_MODEL: return "EDGESEQ_ERROR_MODEL";
    case EDGESEQ_ERROR_INPUT: return "EDGESEQ_ERROR_INPUT";
    case EDGESEQ_ERROR_LIMIT: return "EDGESEQ_ERROR_LIMIT";
    case EDGESEQ_ERROR_ARGUMENT: return "EDGESEQ_ERROR_ARGUMENT";
    case EDGESEQ_ERROR_INTERNAL: return "EDGESEQ_ERROR_INTERNAL";
  }
  return "unknown";
}

void edgeseq_free(void* buffer) { free(buffer); }

void edgeseq_set_threads(int threads) { edgeseq::SetThreads(threads); }

int edgeseq_get_threads(void) { return edgeseq::ops::Threads(); }

// ---- Model ----

void edgeseq_load_params_init_sized(edgeseq_load_params* params, size_t struct_size) {
  if (!params || struct_size < sizeof(size_t)) return;
  edgeseq_load_params d;
  memset(&d, 0, sizeof(d));
  d.struct_size = sizeof(d);
  d.verify_checksums = 0;
  WriteSized(d, params, struct_size);
}

edgeseq_status edgeseq_model_load_with_params(const char* path, const edgeseq_load_params* params,
                                              edgeseq_model** out) {
  const char* fn = "edgeseq_model_load";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!path) return NullArgument(fn, "path");
  return Guard(fn, [&] {
    edgeseq_load_params d;
    edgeseq_load_params_init(&d);
    const edgeseq_load_params p = ReadSized(params, d, "edgeseq_load_params");
    auto m = edgeseq::Model::Load(path, p.verify_checksums != 0);
    auto languages = m.Languages();
    *out = new edgeseq_model{std::move(m), std::move(languages)};
  });
}

edgeseq_status edgeseq_model_load(const char* path, edgeseq_model** out) {
  return edgeseq_model_load_with_params(path, nullptr, out);
}

edgeseq_status edgeseq_model_load_from_memory(const void* bytes, size_t size, const edgeseq_load_params* params,
                                              edgeseq_model** out) {
  const char* fn = "edgeseq_model_load_from_memory";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!bytes) return NullArgument(fn, "bytes");
  if (size == 0) return Fail(EDGESEQ_ERROR_ARGUMENT, std::string(fn) + ": size is 0");
  if (reinterpret_cast<uintptr_t>(bytes) % 64 != 0) {
    return Fail(EDGESEQ_ERROR_ARGUMENT,
                std::string(fn) + ": the bytes must be 64-byte aligned (aligned_alloc(64, ...), posix_memalign)");
  }
  return Guard(fn, [&] {
    edgeseq_load_params d;
    edgeseq_load_params_init(&d);
    const edgeseq_load_params p = ReadSized(params, d, "edgeseq_load_params");
    auto m = edgeseq::Model::LoadFromMemory(bytes, size, p.verify_checksums != 0);
    auto languages = m.Languages();
    *out = new edgeseq_model{std::move(m), std::move(languages)};
  });
}

void edgeseq_model_free(edgeseq_model* model) { delete model; }

edgeseq_status edgeseq_model_get_info_sized(const edgeseq_model* model, edgeseq_info* info, size_t struct_size) {
  const char* fn = "edgeseq_model_get_info";
  if (!model) return NullArgument(fn, "model");
  if (!info) return NullArgument(fn, "info");
  if (struct_size < sizeof(size_t)) return Fail(EDGESEQ_ERROR_ARGUMENT, std::string(fn) + ": struct_size too small");
  return Guard(fn, [&] {
    const edgeseq::ModelInfo i = model->model.info();
    edgeseq_info r;
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.d_model = i.d_model;
    r.heads = i.heads;
    r.encoder_layers = i.encoder_layers;
    r.decoder_layers = i.decoder_layers;
    r.ffn_dim = i.ffn_dim;
    r.src_vocab_size = i.src_vocab_size;
    r.tgt_vocab_size = i.tgt_vocab_size;
    r.max_positions = i.max_positions;
    r.pad_id = i.pad_id;
    r.bos_id = i.bos_id;
    r.eos_id = i.eos_id;
    r.decoder_start_id = i.decoder_start_id;
    r.src_unk_id = i.src_unk_id;
    r.tgt_unk_id = i.tgt_unk_id;
    r.has_vocabularies = i.has_vocabularies ? 1 : 0;
    r.source_is_words = i.source_is_words ? 1 : 0;
    r.n_mels = i.n_mels;
    r.frames = i.frames;
    r.max_target_positions = i.max_target_positions;
    WriteSized(r, info, struct_size);
  });
}

edgeseq_status edgeseq_model_info(const edgeseq_model* model, size_t* src_vocab_size, size_t* tgt_vocab_size,
                                  size_t* max_positions) {
  if (!model) return NullArgument("edgeseq_model_info", "model");
  const edgeseq::ModelInfo info = model->model.info();
  if (src_vocab_size) *src_vocab_size = info.src_vocab_size;
  if (tgt_vocab_size) *tgt_vocab_size = info.tgt_vocab_size;
  if (max_positions) *max_positions = info.max_positions;
  g_last_error.clear();
  return EDGESEQ_OK;
}

// ---- Text ----

edgeseq_status edgeseq_tokenize(const edgeseq_model* model, const char* text, int32_t** out_ids, size_t* out_len,
                                size_t* out_unknown_count, char** out_unknown) {
  const char* fn = "edgeseq_tokenize";
  if (out_ids) *out_ids = nullptr;
  if (out_unknown) *out_unknown = nullptr;
  if (!model) return NullArgument(fn, "model");
  if (!text) return NullArgument(fn, "text");
  if (!out_ids) return NullArgument(fn, "out_ids");
  if (!out_len) return NullArgument(fn, "out_len");
  return Guard(fn, [&] {
    std::vector<std::string> unknown;
    const std::vector<int32_t> ids = model->model.EncodeSource(text, &unknown);
    std::string packed;
    for (const std::string& u : unknown) packed.append(u).push_back('\0');
    int32_t* buf = static_cast<int32_t*>(malloc(std::max<size_t>(ids.size(), 1) * sizeof(int32_t)));
    if (!buf) throw std::bad_alloc();
    char* unk = nullptr;
    if (out_unknown && !unknown.empty()) {
      unk = static_cast<char*>(malloc(packed.size()));
      if (!unk) {
        free(buf);
        throw std::bad_alloc();
      }
      memcpy(unk, packed.data(), packed.size());
    }
    if (!ids.empty()) memcpy(buf, ids.data(), ids.size() * sizeof(int32_t));
    *out_ids = buf;
    *out_len = ids.size();
    if (out_unknown_count) *out_unknown_count = unknown.size();
    if (out_unknown) *out_unknown = unk;
  });
}

edgeseq_status edgeseq_detokenize(const edgeseq_model* model, const int32_t* ids, size_t len, char** out_text,
                                  size_t* out_len) {
  const char* fn = "edgeseq_detokenize";
  if (out_text) *out_text = nullptr;
  if (!model) return NullArgument(fn, "model");
  if (!ids && len) return NullArgument(fn, "ids");
  if (!out_text) return NullArgument(fn, "out_text");
  return Guard(fn, [&] {
    const std::string s = model->model.DecodeTarget(std::vector<int32_t>(ids, ids + len));
    *out_text = CopyString(s);
    if (out_len) *out_len = s.size();
  });
}

namespace {

// A C caller may pass any int as an edgeseq_side; read as an enum, a value
// outside its two would be undefined behaviour in C++, so its bytes are read
// as an int.
edgeseq::Side SideOf(const edgeseq_side& given) {
  static_assert(sizeof(edgeseq_side) == sizeof(int), "edgeseq_side is an int in C");
  int side = 0;
  memcpy(&side, &given, sizeof side);
  if (side != EDGESEQ_SIDE_SOURCE && side != EDGESEQ_SIDE_TARGET) {
    throw ArgumentError{"side " + std::to_string(side) + " is neither EDGESEQ_SIDE_SOURCE nor " +
                        "EDGESEQ_SIDE_TARGET"};
  }
  return side == EDGESEQ_SIDE_SOURCE ? edgeseq::Side::kSource : edgeseq::Side::kTarget;
}

}  // namespace

edgeseq_status edgeseq_encode(const edgeseq_model* model, edgeseq_side side, const char* text, int32_t** out_ids,
                              size_t* out_len) {
  const char* fn = "edgeseq_encode";
  if (out_ids) *out_ids = nullptr;
  if (!model) return NullArgument(fn, "model");
  if (!text) return NullArgument(fn, "text");
  if (!out_ids) return NullArgument(fn, "out_ids");
  if (!out_len) return NullArgument(fn, "out_len");
  return Guard(fn, [&] {
    CopyIds(model->model.Encode(text, SideOf(side)), out_ids, out_len);
  });
}

size_t edgeseq_model_language_count(const edgeseq_model* model) { return model ? model->languages.size() : 0; }

const char* edgeseq_model_language(const edgeseq_model* model, size_t i) {
  return model && i < model->languages.size() ? model->languages[i].c_str() : nullptr;
}

edgeseq_status edgeseq_encode_source(const edgeseq_model* model, const char* text, const char* source_language,
                                     int32_t** out_ids, size_t* out_len) {
  const char* fn = "edgeseq_encode_source";
  if (out_ids) *out_ids = nullptr;
  if (!model) return NullArgument(fn, "model");
  if (!text) return NullArgument(fn, "text");
  if (!out_ids) return NullArgument(fn, "out_ids");
  if (!out_len) return NullArgument(fn, "out_len");
  return Guard(fn, [&] {
    CopyIds(model->model.EncodeSource(text, source_language ? source_language : "", nullptr), out_ids, out_len);
  });
}

edgeseq_status edgeseq_decode(const edgeseq_model* model, edgeseq_side side, const int32_t* ids, size_t len,
                              int keep_special, char** out_text, size_t* out_len) {
  const char* fn = "edgeseq_decode";
  if (out_text) *out_text = nullptr;
  if (!model) return NullArgument(fn, "model");
  if (!ids && len) return NullArgument(fn, "ids");
  if (!out_text) return NullArgument(fn, "out_text");
  return Guard(fn, [&] {
    const std::string s = model->model.Decode(std::vector<int32_t>(ids, ids + len), SideOf(side), keep_special != 0);
    *out_text = CopyString(s);
    if (out_len) *out_len = s.size();
  });
}

// ---- Generator ----

edgeseq_status edgeseq_generator_new(const edgeseq_model* model, size_t max_batch, size_t max_source,
                                     size_t max_target, size_t max_beam, edgeseq_generator** out) {
  const char* fn = "edgeseq_generator_new";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!model) return NullArgument(fn, "model");
  return Guard(fn, [&] {
    edgeseq::Limits l;
    l.max_batch = max_batch;
    l.max_source = max_source;
    l.max_target = max_target;
    l.max_beam = max_beam;
    edgeseq::Generator gen(model->model, l);
    const edgeseq::Limits resolved = gen.limits();
    *out = new edgeseq_generator{model->model, std::move(gen), model->model.info(), resolved};
  });
}

void edgeseq_generator_free(edgeseq_generator* generator) { delete generator; }

edgeseq_status edgeseq_generator_limits(const edgeseq_generator* g, size_t* max_batch, size_t* max_source,
                                        size_t* max_target, size_t* max_beam) {
  if (!g) return NullArgument("edgeseq_generator_limits", "generator");
  if (max_batch) *max_batch = g->limits.max_batch;
  if (max_source) *max_source = g->limits.max_source;
  if (max_target) *max_target = g->limits.max_target;
  if (max_beam) *max_beam = g->limits.max_beam;
  g_last_error.clear();
  return EDGESEQ_OK;
}

void edgeseq_generate_params_init_sized(edgeseq_generate_params* params, size_t struct_size) {
  if (!params || struct_size < sizeof(size_t)) return;
  WriteSized(DefaultParams(), params, struct_size);
}

namespace {

// A result owning the hypotheses (and their text, when the model has vocabularies).
edgeseq_result* ToResult(const edgeseq_generator& g, std::vector<std::vector<edgeseq::Hypothesis>>&& hyps) {
  auto r = std::make_unique<edgeseq_result>();
  r->has_text = g.info.has_vocabularies;
  r->sources.resize(hyps.size());
  for (size_t s = 0; s < hyps.size(); ++s) {
    for (auto& h : hyps[s]) {
      edgeseq_result::Hyp x;
      if (r->has_text) x.text = g.model.DecodeTarget(h.ids);
      x.ids = std::move(h.ids);
      x.score = h.score;
      if (!h.attention.empty()) {
        x.attention_width = h.attention[0].size();
        for (const auto& a : h.attention) x.attention.insert(x.attention.end(), a.begin(), a.end());
      }
      r->sources[s].push_back(std::move(x));
    }
  }
  return r.release();
}

// Log-mel sources as the C++ API takes them: frames × n_mels floats each.
std::vector<std::vector<float>> Features(const edgeseq_generator& g, const float* const* features, size_t n) {
  if (!g.info.n_mels) throw edgeseq::Error(edgeseq::ErrorCode::kInput, "the model reads token ids, not log-mel features");
  if (!features && n) throw edgeseq::Error(edgeseq::ErrorCode::kInput, "features is NULL");
  if (n > g.limits.max_batch) {  // before reading n pointers
    throw edgeseq::Error(edgeseq::ErrorCode::kLimit, std::to_string(n) + " sources, the generator takes at most " +
                                                         std::to_string(g.limits.max_batch));
  }
  const size_t per = g.info.frames * g.info.n_mels;
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < n; ++i) {
    if (!features[i]) throw edgeseq::Error(edgeseq::ErrorCode::kInput, "features[" + std::to_string(i) + "] is NULL");
    out.emplace_back(features[i], features[i] + per);
  }
  return out;
}

}  // namespace

edgeseq_status edgeseq_generate_batch(edgeseq_generator* g, const int32_t* const* sources, const size_t* source_lens,
                                      size_t n_sources, const edgeseq_generate_params* params,
                                      edgeseq_result** out) {
  const char* fn = "edgeseq_generate_batch";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!g) return NullArgument(fn, "generator");
  return Guard(fn, [&] {
    const edgeseq_generate_params p = ReadSized(params, DefaultParams(), "edgeseq_generate_params");
    const auto src = Sources(sources, source_lens, n_sources, "sources");
    if (p.source_language && *p.source_language) {
      throw edgeseq::Error(edgeseq::ErrorCode::kInput, "source_language frames text; ids are verbatim (frame them "
                                                       "with edgeseq_encode_source)");
    }
    edgeseq::GenerateOptions o = ToOptions(p);
    ApplyTargetLanguage(g->model, p, src.size(), o);
    *out = ToResult(*g, g->generator.Generate(src, o));
  });
}

edgeseq_status edgeseq_generate_features(edgeseq_generator* g, const float* const* features, size_t n_sources,
                                         const edgeseq_generate_params* params, edgeseq_result** out) {
  const char* fn = "edgeseq_generate_features";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!g) return NullArgument(fn, "generator");
  return Guard(fn, [&] {
    const edgeseq_generate_params p = ReadSized(params, DefaultParams(), "edgeseq_generate_params");
    const auto f = Features(*g, features, n_sources);
    if (p.source_language && *p.source_language) {
      throw edgeseq::Error(edgeseq::ErrorCode::kInput, "source_language frames text; features have none");
    }
    edgeseq::GenerateOptions o = ToOptions(p);
    ApplyTargetLanguage(g->model, p, f.size(), o);
    *out = ToResult(*g, g->generator.GenerateFromFeatures(f, o));
  });
}

size_t edgeseq_result_sources(const edgeseq_result* r) { return r ? r->sources.size() : 0; }

size_t edgeseq_result_hypotheses(const edgeseq_result* r, size_t source) {
  return r && source < r->sources.size() ? r->sources[source].size() : 0;
}

namespace {
const edgeseq_result::Hyp* FindHyp(const edgeseq_result* r, size_t source, size_t index, const char* fn,
                                   edgeseq_status* status) {
  if (!r) {
    *status = NullArgument(fn, "result");
    return nullptr;
  }
  if (source >= r->sources.size() || index >= r->sources[source].size()) {
    *status = Fail(EDGESEQ_ERROR_ARGUMENT, std::string(fn) + ": no hypothesis " + std::to_string(index) +
                                               " for source " + std::to_string(source) + " (the result has " +
                                               std::to_string(r->sources.size()) + " sources)");
    return nullptr;
  }
  *status = EDGESEQ_OK;
  return &r->sources[source][index];
}
}  // namespace

edgeseq_status edgeseq_result_hypothesis(const edgeseq_result* r, size_t source, size_t index, const int32_t** ids,
                                         size_t* len, float* score) {
  if (ids) *ids = nullptr;
  edgeseq_status s;
  const edgeseq_result::Hyp* h = FindHyp(r, source, index, "edgeseq_result_hypothesis", &s);
  if (!h) return s;
  if (ids) *ids = h->ids.empty() ? nullptr : h->ids.data();
  if (len) *len = h->ids.size();
  if (score) *score = h->score;
  g_last_error.clear();
  return EDGESEQ_OK;
}

edgeseq_status edgeseq_result_text(const edgeseq_result* r, size_t source, size_t index, const char** text) {
  const char* fn = "edgeseq_result_text";
  if (text) *text = nullptr;
  if (!text) return NullArgument(fn, "text");
  edgeseq_status s;
  const edgeseq_result::Hyp* h = FindHyp(r, source, index, fn, &s);
  if (!h) return s;
  if (!r->has_text) return Fail(EDGESEQ_ERROR_MODEL, std::string(fn) + ": the model carries no vocabularies");
  *text = h->text.c_str();
  g_last_error.clear();
  return EDGESEQ_OK;
}

edgeseq_status edgeseq_result_attention(const edgeseq_result* r, size_t source, size_t index, const float** weights,
                                        size_t* source_len) {
  if (weights) *weights = nullptr;
  if (source_len) *source_len = 0;
  edgeseq_status s;
  const edgeseq_result::Hyp* h = FindHyp(r, source, index, "edgeseq_result_attention", &s);
  if (!h) return s;
  if (weights) *weights = h->attention.empty() ? nullptr : h->attention.data();
  if (source_len) *source_len = h->attention_width;
  g_last_error.clear();
  return EDGESEQ_OK;
}

void edgeseq_result_free(edgeseq_result* r) { delete r; }

edgeseq_status edgeseq_generate_text_with_params(edgeseq_generator* g, const char* text,
                                                 const edgeseq_generate_params* params, char** out_text) {
  const char* fn = "edgeseq_generate_text_with_params";
  if (out_text) *out_text = nullptr;
  if (!g) return NullArgument(fn, "generator");
  if (!text) return NullArgument(fn, "text");
  if (!out_text) return NullArgument(fn, "out_text");
  return Guard(fn, [&] {
    const edgeseq_generate_params p = ReadSized(params, DefaultParams(), "edgeseq_generate_params");
    *out_text = CopyString(GenerateText(g, text, p));
  });
}

edgeseq_status edgeseq_score_batch(edgeseq_generator* g, const int32_t* const* sources, const size_t* source_lens,
                                   const int32_t* const* targets, const size_t* target_lens, size_t n,
                                   float* out_logprobs) {
  const char* fn = "edgeseq_score_batch";
  if (!g) return NullArgument(fn, "generator");
  if (!out_logprobs && n) return NullArgument(fn, "out_logprobs");
  return Guard(fn, [&] {
    const auto s = Sources(sources, source_lens, n, "sources");
    const auto t = Sources(targets, target_lens, n, "targets");
    const std::vector<float> scores = g->generator.Score(s, t);
    std::copy(scores.begin(), scores.end(), out_logprobs);
  });
}

edgeseq_status edgeseq_score_features(edgeseq_generator* g, const float* const* features,
                                      const int32_t* const* targets, const size_t* target_lens, size_t n,
                                      float* out_logprobs) {
  const char* fn = "edgeseq_score_features";
  if (!g) return NullArgument(fn, "generator");
  if (!out_logprobs && n) return NullArgument(fn, "out_logprobs");
  return Guard(fn, [&] {
    const auto f = Features(*g, features, n);
    const auto t = Sources(targets, target_lens, n, "targets");
    const std::vector<float> scores = g->generator.ScoreFromFeatures(f, t);
    std::copy(scores.begin(), scores.end(), out_logprobs);
  });
}

// ---- Speech to text ----

namespace {

edgeseq_transcribe_params DefaultTranscribeParams() {
  const edgeseq::TranscribeOptions d;
  edgeseq_transcribe_params p;
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.language = nullptr;
  p.task = EDGESEQ_TASK_TRANSCRIBE;
  p.timestamps = d.timestamps ? 1 : 0;
  p.beam_size = d.beam_size;
  p.patience = d.patience;
  p.best_of = d.best_of;
  p.temperatures = nullptr;  // d.temperatures
  p.n_temperatures = 0;
  p.compression_ratio_threshold = d.compression_ratio_threshold;
  p.logprob_threshold = d.logprob_threshold;
  p.no_speech_threshold = d.no_speech_threshold;
  p.condition_on_previous_text = d.condition_on_previous_text ? 1 : 0;
  p.initial_prompt = nullptr;
  p.suppress_blank = d.suppress_blank ? 1 : 0;
  p.suppress_tokens = nullptr;  // d.suppress_tokens
  p.n_suppress_tokens = 0;
  p.max_initial_timestamp = d.max_initial_timestamp;
  p.seed = d.seed;
  p.on_segment = nullptr;
  p.on_segment_user_data = nullptr;
  p.on_language = nullptr;
  p.on_language_user_data = nullptr;
  return p;
}

edgeseq_segment View(const edgeseq::Segment& s) {
  edgeseq_segment v;
  memset(&v, 0, sizeof(v));
  v.struct_size = sizeof(v);
  v.start = s.start;
  v.end = s.end;
  v.text = s.text.c_str();
  v.tokens = s.tokens.empty() ? nullptr : s.tokens.data();
  v.n_tokens = s.tokens.size();
  v.temperature = s.temperature;
  v.avg_logprob = s.avg_logprob;
  v.compression_ratio = s.compression_ratio;
  v.no_speech_prob = s.no_speech_prob;
  return v;
}

edgeseq::TranscribeOptions TranscribeOptionsOf(const edgeseq_transcribe_params& p) {
  edgeseq::TranscribeOptions o;
  o.language = p.language ? p.language : "";
  // A C caller may store any int in the task; read as the enum, a value
  // outside its two would be undefined behaviour in C++, so its bytes are
  // read as an int (as SideOf).
  static_assert(sizeof(edgeseq_task) == sizeof(int), "edgeseq_task is an int in C");
  int task = 0;
  memcpy(&task, &p.task, sizeof task);
  if (task != EDGESEQ_TASK_TRANSCRIBE && task != EDGESEQ_TASK_TRANSLATE) {
    throw edgeseq::Error(edgeseq::ErrorCode::kInput,
                         "task " + std::to_string(task) + " is neither EDGESEQ_TASK_TRANSCRIBE nor EDGESEQ_TASK_TRANSLATE");
  }
  o.task = task == EDGESEQ_TASK_TRANSLATE ? edgeseq::Task::kTranslate : edgeseq::Task::kTranscribe;
  o.timestamps = p.timestamps != 0;
  o.beam_size = p.beam_size;
  o.patience = p.patience;
  o.best_of = p.best_of;
  if (p.n_temperatures > 0) {
    if (!p.temperatures) throw ArgumentError{"temperatures is NULL"};
    o.temperatures.assign(p.temperatures, p.temperatures + p.n_temperatures);
  }
  o.compression_ratio_threshold = p.compression_ratio_threshold;
  o.logprob_threshold = p.logprob_threshold;
  o.no_speech_threshold = p.no_speech_threshold;
  o.condition_on_previous_text = p.condition_on_previous_text != 0;
  o.initial_prompt = p.initial_prompt ? p.initial_prompt : "";
  o.suppress_blank = p.suppress_blank != 0;
  if (p.suppress_tokens) o.suppress_tokens.assign(p.suppress_tokens, p.suppress_tokens + p.n_suppress_tokens);
  else if (p.n_suppress_tokens > 0) throw ArgumentError{"suppress_tokens is NULL"};
  o.max_initial_timestamp = p.max_initial_timestamp;
  o.seed = p.seed;
  return o;
}

// The caller's C callback as the C++ API's (none: none).
edgeseq::SegmentCallback SegmentCallbackOf(const edgeseq_transcribe_params& p) {
  if (!p.on_segment) return {};
  const edgeseq_segment_callback cb = p.on_segment;
  void* user = p.on_segment_user_data;
  return [cb, user](const edgeseq::Segment& s) {
    const edgeseq_segment v = View(s);
    return cb(&v, user) == 0;
  };
}

edgeseq::LanguageCallback LanguageCallbackOf(const edgeseq_transcribe_params& p) {
  if (!p.on_language) return {};
  const edgeseq_language_callback cb = p.on_language;
  void* user = p.on_language_user_data;
  return [cb, user](const edgeseq::LanguageGuess& g) { return cb(g.language.c_str(), g.probability, user) == 0; };
}

edgeseq_transcript* ToTranscript(edgeseq::Transcript&& t) {
  auto r = std::make_unique<edgeseq_transcript>();
  r->transcript = std::move(t);
  for (const auto& s : r->transcript.segments) r->segments.push_back(View(s));
  return r.release();
}

}  // namespace

void edgeseq_transcribe_params_init_sized(edgeseq_transcribe_params* params, size_t struct_size) {
  if (!params || struct_size < sizeof(size_t)) return;
  WriteSized(DefaultTranscribeParams(), params, struct_size);
}

edgeseq_status edgeseq_transcribe(edgeseq_generator* g, const float* pcm, size_t n_samples,
                                  const edgeseq_transcribe_params* params, edgeseq_transcript** out) {
  const char* fn = "edgeseq_transcribe";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!g) return NullArgument(fn, "generator");
  if (!pcm && n_samples) return NullArgument(fn, "pcm");
  return Guard(fn, [&] {
    const edgeseq_transcribe_params p =
        ReadSized(params, DefaultTranscribeParams(), "edgeseq_transcribe_params");
    *out = ToTranscript(g->generator.Transcribe(pcm, n_samples, TranscribeOptionsOf(p), SegmentCallbackOf(p),
                                                   LanguageCallbackOf(p)));
  });
}

edgeseq_status edgeseq_transcribe_file(edgeseq_generator* g, const char* path,
                                       const edgeseq_transcribe_params* params, edgeseq_transcript** out) {
  const char* fn = "edgeseq_transcribe_file";
  if (!out) return NullArgument(fn, "out");
  *out = nullptr;
  if (!g) return NullArgument(fn, "generator");
  if (!path) return NullArgument(fn, "path");
  return Guard(fn, [&] {
    const edgeseq_transcribe_params p =
        ReadSized(params, DefaultTranscribeParams(), "edgeseq_transcribe_params");
    *out = ToTranscript(g->generator.TranscribeFile(path, TranscribeOptionsOf(p), SegmentCallbackOf(p),
                                                       LanguageCallbackOf(p)));
  });
}

edgeseq_status edgeseq_detect_language(edgeseq_generator* g, const float* pcm, size_t n_samples,
                                       char** out_language, float* out_probability) {
  const char* fn = "edgeseq_detect_language";
  if (out_language) *out_language = nullptr;
  if (!g) return NullArgument(fn, "generator");
  if (!pcm && n_samples) return NullArgument(fn, "pcm");
  if (!out_language) return NullArgument(fn, "out_language");
  return Guard(fn, [&] {
    const edgeseq::LanguageGuess guess = g->generator.DetectLanguage(pcm, n_samples);
    *out_language = CopyString(guess.language);
    if (out_probability) *out_probability = guess.probability;
  });
}

size_t edgeseq_transcript_segment_count(const edgeseq_transcript* t) { return t ? t->segments.size() : 0; }

const edgeseq_segment* edgeseq_transcript_segment(const edgeseq_transcript* t, size_t i) {
  return t && i < t->segments.size() ? &t->segments[i] : nullptr;
}

const char* edgeseq_transcript_text(const edgeseq_transcript* t) { return t ? t->transcript.text.c_str() : ""; }

const char* edgeseq_transcript_language(const edgeseq_transcript* t) {
  return t ? t->transcript.language.c_str() : "";
}

float edgeseq_transcript_language_probability(const edgeseq_transcript* t) {
  return t ? t->transcript.language_probability : 0.0f;
}

int edgeseq_transcript_stopped(const edgeseq_transcript* t) { return t && t->transcript.stopped ? 1 : 0; }

void edgeseq_transcript_free(edgeseq_transcript* t) { delete t; }

// ---- Older calls ----

void edgeseq_options_init(edgeseq_options* o) {
  if (!o) return;
  const edgeseq_generate_params d = DefaultParams();
  o->max_length = d.max_length;
  o->min_length = d.min_length;
  o->beam = d.beam;
  o->length_penalty = d.length_penalty;
  o->sample = d.sample;
  o->temperature = d.temperature;
  o->top_k = d.top_k;
  o->top_p = d.top_p;
  o->seed = d.seed;
}

edgeseq_status edgeseq_generate(edgeseq_generator* g, const int32_t* source, size_t source_len,
                                const edgeseq_options* options, int32_t* out_ids, size_t out_capacity,
                                size_t* out_len, float* out_score) {
  const char* fn = "edgeseq_generate";
  if (!g) return NullArgument(fn, "generator");
  if (!source && source_len) return NullArgument(fn, "source");
  if (!out_ids && out_capacity) return NullArgument(fn, "out_ids");
  if (!out_len) return NullArgument(fn, "out_len");
  return Guard(fn, [&] {
    const std::vector<int32_t> src(source, source + source_len);
    const auto hyps = g->generator.Generate({src}, ToOptions(FromOptions(options)));
    const auto& h = hyps[0][0];
    *out_len = h.ids.size();
    if (out_score) *out_score = h.score;
    const size_t n = std::min(out_capacity, h.ids.size());
    if (n) memcpy(out_ids, h.ids.data(), n * sizeof(int32_t));
  });
}

edgeseq_status edgeseq_generate_text(edgeseq_generator* g, const char* text, const edgeseq_options* options,
                                     char* out, size_t out_capacity, size_t* out_len) {
  const char* fn = "edgeseq_generate_text";
  if (!g) return NullArgument(fn, "generator");
  if (!text) return NullArgument(fn, "text");
  if (!out && out_capacity) return NullArgument(fn, "out");
  if (!out_len) return NullArgument(fn, "out_len");
  return Guard(fn, [&] {
    const std::string s = GenerateText(g, text, FromOptions(options));
    *out_len = s.size();
    if (out_capacity) {
      const size_t n = std::min(out_capacity - 1, s.size());
      memcpy(out, s.data(), n);
      out[n] = '\0';
    }
  });
}

edgeseq_status edgeseq_score(edgeseq_generator* g, const int32_t* source, size_t source_len, const int32_t* target,
                             size_t target_len, float* out_logprob) {
  const char* fn = "edgeseq_score";
  if (!g) return NullArgument(fn, "generator");
  if (!source && source_len) return NullArgument(fn, "source");
  if (!target && target_len) return NullArgument(fn, "target");
  if (!out_logprob) return NullArgument(fn, "out_logprob");
  return Guard(fn, [&] {
    const std::vector<int32_t> s(source, source + source_len), t(target, target + target_len);
    *out_logprob = g->generator.Score({s}, {t})[0];
  });
}

}  // extern "C"
