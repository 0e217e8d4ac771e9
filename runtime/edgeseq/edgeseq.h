/* edgeseq C API: the same runtime as edgeseq.hpp behind opaque handles, for
 * C and for other languages' foreign-function interfaces.
 *
 * Every function returns an edgeseq_status; on failure,
 * edgeseq_last_error() gives a one-line message (per thread, valid until the
 * next call on that thread). A model may be shared between threads; a
 * generator belongs to one thread at a time. */
#ifndef EDGESEQ_EDGESEQ_H_
#define EDGESEQ_EDGESEQ_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define EDGESEQ_C_API
#else
#define EDGESEQ_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EDGESEQ_OK = 0,
  EDGESEQ_ERROR_MODEL = 1,    /* the model file is invalid or incomplete */
  EDGESEQ_ERROR_INPUT = 2,    /* a bad source, target, text or option */
  EDGESEQ_ERROR_LIMIT = 3,    /* beyond what the generator was created for */
  EDGESEQ_ERROR_ARGUMENT = 4, /* a null handle or pointer */
  EDGESEQ_ERROR_INTERNAL = 5  /* out of memory or a bug */
} edgeseq_status;

typedef struct edgeseq_model edgeseq_model;
typedef struct edgeseq_generator edgeseq_generator;

typedef struct {
  size_t max_length;    /* decoding steps; an EOS counts as one */
  size_t min_length;
  size_t beam;          /* 1: greedy (or sampling) */
  float length_penalty; /* beam: rank by score / length^alpha */
  int sample;           /* nonzero: sample (beam must be 1) */
  float temperature;
  size_t top_k;         /* 0: all */
  float top_p;          /* (0, 1] */
  uint64_t seed;
} edgeseq_options;

EDGESEQ_C_API const char* edgeseq_last_error(void);

/* Fills `o` with the defaults (greedy, max_length 256). */
EDGESEQ_C_API void edgeseq_options_init(edgeseq_options* o);

EDGESEQ_C_API edgeseq_status edgeseq_model_load(const char* path, edgeseq_model** out);
EDGESEQ_C_API void edgeseq_model_free(edgeseq_model* model);
/* Sizes a caller needs to plan for (any pointer may be NULL). */
EDGESEQ_C_API edgeseq_status edgeseq_model_info(const edgeseq_model* model, size_t* src_vocab_size,
                                                size_t* tgt_vocab_size, size_t* max_positions);

/* Working memory is planned once for these limits. */
EDGESEQ_C_API edgeseq_status edgeseq_generator_new(const edgeseq_model* model, size_t max_batch, size_t max_source,
                                                   size_t max_target, size_t max_beam, edgeseq_generator** out);
EDGESEQ_C_API void edgeseq_generator_free(edgeseq_generator* generator);

/* Decodes one source of token ids. The best hypothesis's ids (without the
 * decoder start token and the final EOS) go to out_ids, at most
 * out_capacity of them; *out_len receives the full length (if it exceeds
 * out_capacity, call again with more room) and *out_score its score. */
EDGESEQ_C_API edgeseq_status edgeseq_generate(edgeseq_generator* generator, const int32_t* source, size_t source_len,
                                              const edgeseq_options* options, int32_t* out_ids, size_t out_capacity,
                                              size_t* out_len, float* out_score);

/* The same with text through the model's vocabularies, with the conventions
 * the model file records (docs/INPUTS.md): the text normalized (e.g.
 * lowercased), a token outside the source vocabulary read as the model's
 * source unknown id when it has one (else EDGESEQ_ERROR_INPUT naming it), and
 * the source framed with the model's prefix and suffix ids (e.g. BOS ... EOS);
 * edgeseq_generate uses its ids verbatim. `out` receives a NUL-terminated
 * string of at most out_capacity bytes including the NUL; *out_len the full
 * length without it. */
EDGESEQ_C_API edgeseq_status edgeseq_generate_text(edgeseq_generator* generator, const char* text,
                                                   const edgeseq_options* options, char* out, size_t out_capacity,
                                                   size_t* out_len);

/* Log-probability of `target` followed by EOS given `source`. */
EDGESEQ_C_API edgeseq_status edgeseq_score(edgeseq_generator* generator, const int32_t* source, size_t source_len,
                                           const int32_t* target, size_t target_len, float* out_logprob);

/* Threads for the matmuls, process-wide, from each generator's next call;
 * 0 restores the default (OMP_NUM_THREADS if set, else physical cores). */
EDGESEQ_C_API void edgeseq_set_threads(int threads);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEQ_EDGESEQ_H_ */
