// The C API (edgeseq/edgeseq.h) over the C++ API.
#include <string.h>

#include <new>
#include <string>

#include "edgeseq/edgeseq.h"
#include "edgeseq/edgeseq.hpp"

struct edgeseq_model {
  edgeseq::Model model;
};
struct edgeseq_generator {
  edgeseq::Model model;  // keeps the model alive and gives text access
  edgeseq::Generator generator;
};

namespace {

thread_local std::string g_last_error;

edgeseq_status Fail(edgeseq_status s, const std::string& message) {
  g_last_error = message;
  return s;
}

template <typename F>
edgeseq_status Guard(F&& f) {
  try {
    f();
    g_last_error.clear();
    return EDGESEQ_OK;
  } catch (const edgeseq::Error& e) {
    const edgeseq_status s = e.code() == edgeseq::ErrorCode::kModel   ? EDGESEQ_ERROR_MODEL
                             : e.code() == edgeseq::ErrorCode::kInput ? EDGESEQ_ERROR_INPUT
                                                                      : EDGESEQ_ERROR_LIMIT;
    return Fail(s, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(EDGESEQ_ERROR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return Fail(EDGESEQ_ERROR_INTERNAL, e.what());
  }
}

edgeseq::GenerateOptions Options(const edgeseq_options* o) {
  edgeseq::GenerateOptions r;
  if (!o) return r;
  r.max_length = o->max_length;
  r.min_length = o->min_length;
  r.beam = o->beam;
  r.length_penalty = o->length_penalty;
  r.sample = o->sample != 0;
  r.temperature = o->temperature;
  r.top_k = o->top_k;
  r.top_p = o->top_p;
  r.seed = o->seed;
  return r;
}

}  // namespace

extern "C" {

const char* edgeseq_last_error(void) { return g_last_error.c_str(); }

void edgeseq_options_init(edgeseq_options* o) {
  if (!o) return;
  const edgeseq::GenerateOptions d;
  o->max_length = d.max_length;
  o->min_length = d.min_length;
  o->beam = d.beam;
  o->length_penalty = d.length_penalty;
  o->sample = 0;
  o->temperature = d.temperature;
  o->top_k = d.top_k;
  o->top_p = d.top_p;
  o->seed = d.seed;
}

edgeseq_status edgeseq_model_load(const char* path, edgeseq_model** out) {
  if (!path || !out) return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_model_load: null argument");
  *out = nullptr;
  return Guard([&] { *out = new edgeseq_model{edgeseq::Model::Load(path)}; });
}

void edgeseq_model_free(edgeseq_model* model) { delete model; }

edgeseq_status edgeseq_model_info(const edgeseq_model* model, size_t* src_vocab_size, size_t* tgt_vocab_size,
                                  size_t* max_positions) {
  if (!model) return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_model_info: null model");
  const edgeseq::ModelInfo info = model->model.info();
  if (src_vocab_size) *src_vocab_size = info.src_vocab_size;
  if (tgt_vocab_size) *tgt_vocab_size = info.tgt_vocab_size;
  if (max_positions) *max_positions = info.max_positions;
  return EDGESEQ_OK;
}

edgeseq_status edgeseq_generator_new(const edgeseq_model* model, size_t max_batch, size_t max_source,
                                     size_t max_target, size_t max_beam, edgeseq_generator** out) {
  if (!model || !out) return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_generator_new: null argument");
  *out = nullptr;
  return Guard([&] {
    edgeseq::Limits l;
    l.max_batch = max_batch;
    l.max_source = max_source;
    l.max_target = max_target;
    l.max_beam = max_beam;
    *out = new edgeseq_generator{model->model, edgeseq::Generator(model->model, l)};
  });
}

void edgeseq_generator_free(edgeseq_generator* generator) { delete generator; }

edgeseq_status edgeseq_generate(edgeseq_generator* g, const int32_t* source, size_t source_len,
                                const edgeseq_options* options, int32_t* out_ids, size_t out_capacity,
                                size_t* out_len, float* out_score) {
  if (!g || (!source && source_len) || (!out_ids && out_capacity) || !out_len) {
    return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_generate: null argument");
  }
  return Guard([&] {
    const std::vector<int32_t> src(source, source + source_len);
    const auto hyps = g->generator.Generate({src}, Options(options));
    const auto& h = hyps[0][0];
    *out_len = h.ids.size();
    if (out_score) *out_score = h.score;
    memcpy(out_ids, h.ids.data(), std::min(out_capacity, h.ids.size()) * sizeof(int32_t));
  });
}

edgeseq_status edgeseq_generate_text(edgeseq_generator* g, const char* text, const edgeseq_options* options,
                                     char* out, size_t out_capacity, size_t* out_len) {
  if (!g || !text || (!out && out_capacity) || !out_len) {
    return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_generate_text: null argument");
  }
  return Guard([&] {
    const auto src = g->model.EncodeSource(text);
    const auto hyps = g->generator.Generate({src}, Options(options));
    const std::string s = g->model.DecodeTarget(hyps[0][0].ids);
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
  if (!g || (!source && source_len) || (!target && target_len) || !out_logprob) {
    return Fail(EDGESEQ_ERROR_ARGUMENT, "edgeseq_score: null argument");
  }
  return Guard([&] {
    const std::vector<int32_t> s(source, source + source_len), t(target, target + target_len);
    *out_logprob = g->generator.Score({s}, {t})[0];
  });
}

void edgeseq_set_threads(int threads) { edgeseq::SetThreads(threads); }

}  // extern "C"
