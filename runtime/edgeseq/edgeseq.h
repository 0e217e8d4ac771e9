/* edgeseq C API: the same runtime as edgeseq.hpp behind opaque handles, for
 * C and for other languages' foreign-function interfaces. docs/C_API.md has
 * a walk-through.
 *
 * Errors: every function that can fail returns an edgeseq_status; on
 * failure, edgeseq_last_error() gives a one-line message (per thread, valid
 * until the next call on that thread). A NULL handle or a NULL required
 * pointer is EDGESEQ_ERROR_ARGUMENT, never a crash.
 *
 * Threads: a model may be shared between threads; a generator belongs to
 * one thread at a time (one generator per thread).
 *
 * Ownership: the caller owns every handle it receives (edgeseq_model,
 * edgeseq_generator, edgeseq_result) and frees it with its _free function;
 * every buffer the library allocates for the caller (an `int32_t**` or
 * `char**` out-parameter) is freed with edgeseq_free(). Pointers that
 * accessors return (edgeseq_result_*, edgeseq_version, edgeseq_last_error)
 * belong to the library or to the handle they came from: don't free them.
 * Every _free function accepts NULL. Inputs are only read during the call,
 * except the bytes given to edgeseq_model_load_from_memory.
 *
 * Growing structs: edgeseq_load_params, edgeseq_generate_params and
 * edgeseq_transcribe_params begin
 * with `size_t struct_size`. Initialize them with their _init function (an
 * inline wrapper that passes sizeof from the header you compiled with), then
 * set fields; a library newer than your header reads the fields your struct
 * has and defaults the rest. edgeseq_model_get_info fills an edgeseq_info the
 * same way. Bindings that cannot call inline functions call the
 * *_init_sized / *_sized functions with the struct's size. */
#ifndef EDGESEQ_EDGESEQ_H_
#define EDGESEQ_EDGESEQ_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define EDGESEQ_C_API
#else
#define EDGESEQ_C_API __attribute__((visibility("default")))
#endif

/* The small wrappers below are compiled into the caller (C89 has no inline). */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define EDGESEQ_INLINE static inline
#elif defined(__GNUC__)
#define EDGESEQ_INLINE static __inline__
#else
#define EDGESEQ_INLINE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; edgeseq_version() gives the library's. */
#define EDGESEQ_VERSION_MAJOR 0
#define EDGESEQ_VERSION_MINOR 1
#define EDGESEQ_VERSION_PATCH 0
#define EDGESEQ_VERSION_NUMBER (EDGESEQ_VERSION_MAJOR * 10000 + EDGESEQ_VERSION_MINOR * 100 + EDGESEQ_VERSION_PATCH)

typedef enum {
  EDGESEQ_OK = 0,
  EDGESEQ_ERROR_MODEL = 1,    /* the model is invalid, damaged, or lacks what was asked (e.g. vocabularies) */
  EDGESEQ_ERROR_INPUT = 2,    /* a bad source, target, id, text or option value */
  EDGESEQ_ERROR_LIMIT = 3,    /* beyond what the generator was created for, or the model's positions */
  EDGESEQ_ERROR_ARGUMENT = 4, /* a NULL handle or pointer, an index out of range, a bad struct_size */
  EDGESEQ_ERROR_INTERNAL = 5  /* out of memory or a bug */
} edgeseq_status;

typedef struct edgeseq_model edgeseq_model;
typedef struct edgeseq_generator edgeseq_generator;
typedef struct edgeseq_result edgeseq_result;
typedef struct edgeseq_transcript edgeseq_transcript;

/* ---- Library ------------------------------------------------------------ */

/* The library's version, "MAJOR.MINOR.PATCH" (static storage). */
EDGESEQ_C_API const char* edgeseq_version(void);
/* The same as MAJOR*10000 + MINOR*100 + PATCH (compare with EDGESEQ_VERSION_NUMBER). */
EDGESEQ_C_API uint32_t edgeseq_version_number(void);

/* The message of this thread's last failed call ("" after a success). */
EDGESEQ_C_API const char* edgeseq_last_error(void);
/* A constant name for a status ("EDGESEQ_ERROR_INPUT"; "unknown" otherwise). */
EDGESEQ_C_API const char* edgeseq_status_name(edgeseq_status status);

/* Frees a buffer the library allocated for the caller (NULL is fine). */
EDGESEQ_C_API void edgeseq_free(void* buffer);

/* Threads for the matmuls and the attention, for the whole process, from
 * each generator's next call; 0 (or less) restores the default:
 * OMP_NUM_THREADS if set, else the physical cores this process may run on.
 * There is no per-generator count: the matmuls run on the process's one
 * OpenMP pool through matmul plans made once per model and shared by all
 * its generators, and the runtime reads one process-wide count for them and
 * for the attention's split of a batch, so a per-generator count could not
 * be honoured reliably. Results are identical for any count. */
EDGESEQ_C_API void edgeseq_set_threads(int threads);
/* The process-wide thread count now in effect (at least 1). */
EDGESEQ_C_API int edgeseq_get_threads(void);

/* ---- Model -------------------------------------------------------------- */

typedef struct {
  size_t struct_size;   /* set by edgeseq_load_params_init */
  int verify_checksums; /* nonzero: hash every tensor at load (reads the whole model) */
} edgeseq_load_params;

EDGESEQ_C_API void edgeseq_load_params_init_sized(edgeseq_load_params* params, size_t struct_size);
EDGESEQ_INLINE void edgeseq_load_params_init(edgeseq_load_params* params) {
  edgeseq_load_params_init_sized(params, sizeof(*params));
}

/* Maps and validates a .esq file. *out is NULL on failure. */
EDGESEQ_C_API edgeseq_status edgeseq_model_load(const char* path, edgeseq_model** out);
/* The same with parameters (NULL: the defaults). */
EDGESEQ_C_API edgeseq_status edgeseq_model_load_with_params(const char* path, const edgeseq_load_params* params,
                                                            edgeseq_model** out);
/* A model file already in memory (e.g. linked into the program), validated
 * exactly as a file is (EDGESEQ_ERROR_MODEL for damaged bytes; set
 * verify_checksums to hash the tensors too). The bytes are NOT copied: they
 * stay the caller's, must not change, and must outlive the model and every
 * generator made from it. They must be 64-byte aligned, as the format
 * aligns its tensors (aligned_alloc(64, ...), posix_memalign, or
 * _Alignas(64) on a static array); else EDGESEQ_ERROR_ARGUMENT. params may
 * be NULL. */
EDGESEQ_C_API edgeseq_status edgeseq_model_load_from_memory(const void* bytes, size_t size,
                                                            const edgeseq_load_params* params, edgeseq_model** out);
/* Frees the model's handle. Generators made from it keep what they need
 * alive, so it may be freed before them. */
EDGESEQ_C_API void edgeseq_model_free(edgeseq_model* model);

typedef struct {
  size_t struct_size; /* set by edgeseq_model_get_info */
  size_t d_model, heads, encoder_layers, decoder_layers, ffn_dim;
  size_t src_vocab_size, tgt_vocab_size;
  size_t max_positions; /* the longest source and target the model takes (the target's: max_target_positions) */
  /* Special ids; -1 where the model has none. A text whose token is outside
   * the source vocabulary reads as src_unk_id (refused when -1). */
  int32_t pad_id, bos_id, eos_id, decoder_start_id, src_unk_id, tgt_unk_id;
  int has_vocabularies; /* nonzero: the text calls work */
  /* Nonzero for a character-level source vocabulary without a space token
   * (e.g. grapheme-to-phoneme): the model reads one word per source. The
   * text generate calls then decode each whitespace-separated word on its
   * own and join the outputs with " | " (as the CLI does); edgeseq_tokenize
   * takes one word. */
  int source_is_words;
  /* Log-mel models (Whisper): sources are features, not ids (src_vocab_size
   * is 1 and unused); n_mels mel bins per frame, frames per source (2 ×
   * max_positions: 3000 for Whisper's 30 s); both 0 for token models.
   * max_target_positions: the decoder's position limit (Whisper: 448;
   * otherwise max_positions). */
  size_t n_mels, frames, max_target_positions;
} edgeseq_info;

EDGESEQ_C_API edgeseq_status edgeseq_model_get_info_sized(const edgeseq_model* model, edgeseq_info* info,
                                                          size_t struct_size);
EDGESEQ_INLINE edgeseq_status edgeseq_model_get_info(const edgeseq_model* model, edgeseq_info* info) {
  return edgeseq_model_get_info_sized(model, info, sizeof(*info));
}

/* Older form of edgeseq_model_get_info (any pointer may be NULL). */
EDGESEQ_C_API edgeseq_status edgeseq_model_info(const edgeseq_model* model, size_t* src_vocab_size,
                                                size_t* tgt_vocab_size, size_t* max_positions);

/* ---- Text <-> ids (models with vocabularies) ----------------------------- */

/* Source text (UTF-8, NUL-terminated) as the ids the encoder reads, with the
 * conventions the model records (docs/INPUTS.md): normalized (e.g.
 * lowercased), split into the vocabulary's tokens, a token outside it read
 * as src_unk_id (EDGESEQ_ERROR_INPUT naming it when the model has none),
 * framed with the model's prefix and suffix ids (e.g. BOS ... EOS): what
 * edgeseq_generate_batch needs. *out_ids (edgeseq_free) receives *out_len
 * ids. Optional (NULL to skip): *out_unknown_count, the tokens read as
 * src_unk_id, and *out_unknown (edgeseq_free; NULL when there are none):
 * those tokens, each NUL-terminated, one after another. EDGESEQ_ERROR_MODEL
 * when the model has no vocabularies. */
EDGESEQ_C_API edgeseq_status edgeseq_tokenize(const edgeseq_model* model, const char* text, int32_t** out_ids,
                                              size_t* out_len, size_t* out_unknown_count, char** out_unknown);
/* Target ids (as a hypothesis gives them) as text; *out_text (edgeseq_free)
 * is NUL-terminated, *out_len (optional) its length. An id outside the
 * target vocabulary is EDGESEQ_ERROR_INPUT. */
EDGESEQ_C_API edgeseq_status edgeseq_detokenize(const edgeseq_model* model, const int32_t* ids, size_t len,
                                                char** out_text, size_t* out_len);

/* Which side's tokenizer and vocabulary edgeseq_encode / edgeseq_decode use. */
typedef enum { EDGESEQ_SIDE_SOURCE = 0, EDGESEQ_SIDE_TARGET = 1 } edgeseq_side;
/* Either side's text (UTF-8, NUL-terminated) as ids: the source side as
 * edgeseq_tokenize gives them (framed), the target side its tokens alone
 * (e.g. a target prefix). A token outside the vocabulary is the side's
 * unknown id (EDGESEQ_ERROR_INPUT naming it when the model has none);
 * invalid UTF-8 is EDGESEQ_ERROR_INPUT. *out_ids (edgeseq_free) receives
 * *out_len ids. */
EDGESEQ_C_API edgeseq_status edgeseq_encode(const edgeseq_model* model, edgeseq_side side, const char* text,
                                            int32_t** out_ids, size_t* out_len);
/* Either side's ids as text: special ids (pad, bos, eos, decoder start, the
 * tokenizer's special tokens) left out unless keep_special is nonzero; bytes
 * cut through a character become U+FFFD. An id outside the side's
 * vocabulary is EDGESEQ_ERROR_INPUT. *out_text (edgeseq_free) is
 * NUL-terminated, *out_len (optional) its length. */
EDGESEQ_C_API edgeseq_status edgeseq_decode(const edgeseq_model* model, edgeseq_side side, const int32_t* ids,
                                            size_t len, int keep_special, char** out_text, size_t* out_len);

/* Multilingual models (mBART, M2M100, NLLB converted with their tokenizer
 * files) name their languages by tokens (en_XX, __en__, eng_Latn); a
 * language is given as such a token or as the code inside it when one token
 * matches (en, eng). The count of the model's languages (0 for other
 * models, or a NULL model), and the i-th one's token (NULL when i is out of
 * range; valid while the model lives). */
EDGESEQ_C_API size_t edgeseq_model_language_count(const edgeseq_model* model);
EDGESEQ_C_API const char* edgeseq_model_language(const edgeseq_model* model, size_t i);
/* edgeseq_encode's source side with source_language's token framed where
 * the model's family puts it (NULL or "": none). An unknown or ambiguous
 * language, or a model that takes none: EDGESEQ_ERROR_INPUT naming the
 * choices. */
EDGESEQ_C_API edgeseq_status edgeseq_encode_source(const edgeseq_model* model, const char* text,
                                                   const char* source_language, int32_t** out_ids, size_t* out_len);

/* ---- Generator ---------------------------------------------------------- */

/* Working memory is planned once for these limits: sources per call,
 * tokens per source, decoding steps, widest beam. 0 means the default that
 * fits any model: batch 16, source and target the model's positions (at
 * most 256; the target's: max_target_positions; a log-mel model's source:
 * always its encoder's positions), beam 1. A nonzero limit the model cannot take (beyond its
 * positions) is EDGESEQ_ERROR_LIMIT. */
EDGESEQ_C_API edgeseq_status edgeseq_generator_new(const edgeseq_model* model, size_t max_batch, size_t max_source,
                                                   size_t max_target, size_t max_beam, edgeseq_generator** out);
EDGESEQ_C_API void edgeseq_generator_free(edgeseq_generator* generator);
/* The limits the generator was planned for, defaults resolved (pointers may be NULL). */
EDGESEQ_C_API edgeseq_status edgeseq_generator_limits(const edgeseq_generator* generator, size_t* max_batch,
                                                      size_t* max_source, size_t* max_target, size_t* max_beam);

/* Called for each token as it is chosen (greedy and sampling; beam search
 * takes no callback: EDGESEQ_ERROR_INPUT), the end token excluded. `source` is the
 * source's index in the call (a word's index for the text calls of a
 * source_is_words model). Return 0 to go on; non-zero to stop THAT source
 * after this token: its hypothesis ends there, without an end token, its score
 * counting the tokens so far; the other sources go on. To stop everything,
 * return non-zero for every source (each live source gets one token per
 * step, so all stop within the step). Called on the calling thread, from
 * inside the generate call: it must not call the same generator. */
typedef int (*edgeseq_token_callback)(size_t source, int32_t token, void* user_data);

typedef struct {
  size_t struct_size;   /* set by edgeseq_generate_params_init */
  size_t max_length;    /* decoding steps, the end token counts as one; 0 (default): the generator's max_target */
  size_t min_length;    /* no end token before this many tokens (default 0) */
  size_t beam;          /* 1 (default): greedy or sampling; more: beam search (<= the generator's max_beam) */
  float length_penalty; /* beam: hypotheses ranked by score / length^alpha (length counts the end token; with
                           normalize_scores, the scores of every search too); default 1 */
  size_t num_hypotheses; /* hypotheses returned per source, best first: beam search 1..beam; with sample,
                            independent samples (any number); default 1 */
  int sample;           /* nonzero: sample instead of argmax (beam must be 1); default 0 */
  float temperature;    /* sampling: logits / T, > 0; default 1 */
  size_t top_k;         /* sampling: only the k most likely tokens; 0 (default): all */
  float top_p;          /* sampling: the smallest set with probability >= p, in (0, 1]; default 1 */
  uint64_t seed;        /* sampling: same seed, options and input -> same output; default 0 */
  edgeseq_token_callback on_token; /* NULL (default): none */
  void* on_token_user_data;        /* passed to on_token */
  /* CTranslate2's TranslationOptions of the same names, with its meaning and
   * results (docs/DECODING.md), for greedy, beam search and sampling. 0 (what
   * _init sets) is "off" for each, as for every field added to this struct.
   * The arrays are only read during the call. */
  float repetition_penalty;    /* > 0: the logit l of each token generated so far becomes l < 0 ? l*p : l/p;
                                  0 (default) or 1: off; negative or NaN: EDGESEQ_ERROR_INPUT */
  size_t no_repeat_ngram_size; /* no n-gram of this many generated tokens twice; 0 (default): off */
  int disable_unk;             /* nonzero: never the model's tgt_unk_id (EDGESEQ_ERROR_INPUT if it has none) */
  const int32_t* const* suppress_sequences; /* num_suppress_sequences target id sequences never generated: */
  const size_t* suppress_sequence_lens;     /* one token never appears, a longer sequence never completes; */
  size_t num_suppress_sequences;            /* an empty one is ignored */
  const int32_t* end_tokens;   /* decoding ends on any of these num_end_tokens target ids; */
  size_t num_end_tokens;       /* 0 (default): on the model's EOS, which is otherwise an ordinary token */
  int return_end_token;        /* nonzero: the end token stays at the end of a hypothesis's ids */
  size_t max_input_length;     /* longer sources are cut to this many ids (a source suffix the model records,
                                  e.g. EOS, stays last); 0 (default): none (beyond the generator's max_source:
                                  EDGESEQ_ERROR_LIMIT); more than max_source: EDGESEQ_ERROR_LIMIT */
  int normalize_scores;        /* nonzero: scores are divided by length^length_penalty, the length counting
                                  the end token, for every search (CTranslate2's scores) */
  const int32_t* const* target_prefixes; /* CTranslate2's target_prefix (hard prefix): 0 (default) or one */
  const size_t* target_prefix_lens;      /* per source (for a text call: per source the text becomes); */
  size_t num_target_prefixes;            /* each forces the first target ids of its source's hypotheses
                                            (kept in them, counted by max/min_length, not in the score);
                                            an empty one: none; other counts: EDGESEQ_ERROR_INPUT */
  int return_alternatives;               /* nonzero: CTranslate2's return_alternatives: num_hypotheses (then not
                                            limited by the beam) alternatives at the first position after each
                                            source's prefix, best first, each continued by the search */
  float min_alternative_expansion_prob;  /* alternatives less likely than this, in [0, 1], are left out; 0: none */
  int return_attention;                  /* nonzero: CTranslate2's return_attention (edgeseq_result_attention) */
  float patience;                        /* beam search: CTranslate2's patience, > 0; 0 (default) or 1: edgeseq's own
                                            stopping rule alone; > 1: also wait for round(beam*patience) finished
                                            hypotheses (num_hypotheses may be up to that); < 1: also stop once
                                            max(num_hypotheses, round(beam*patience)) are finished */
  float prefix_bias_beta;                /* CTranslate2's prefix_bias_beta, in [0, 1): > 0 makes the target prefixes
                                            a soft bias instead of forced ((1-beta)*p plus beta on the prefix's
                                            next token while a hypothesis follows it); runs beam search (beam 1
                                            too); no sampling, alternatives or on_token. 0 (default): hard prefix */
  float coverage_penalty;                /* CTranslate2's coverage_penalty: beam search ranks (normalize_scores:
                                            scores) add beta * sum_j log(min(attention to source id j, 1)); 0: off */
  int replace_unknowns;                  /* nonzero: CTranslate2's replace_unknowns: the text calls write each unknown
                                            target token as the source token it attends to most; the attention is
                                            then returned too (edgeseq_result_attention: with edgeseq_generate_batch,
                                            whose sources are ids, the caller replaces) */
  const char* source_language;           /* text calls, multilingual models: the text's language (see
                                            edgeseq_encode_source); NULL (default): none. With
                                            edgeseq_generate_batch (ids are verbatim): EDGESEQ_ERROR_INPUT */
  const char* target_language;           /* multilingual models: the language to write; its token is forced as
                                            the first target token of every source (before its target prefix);
                                            NULL (default): the model's default */
} edgeseq_generate_params;

EDGESEQ_C_API void edgeseq_generate_params_init_sized(edgeseq_generate_params* params, size_t struct_size);
EDGESEQ_INLINE void edgeseq_generate_params_init(edgeseq_generate_params* params) {
  edgeseq_generate_params_init_sized(params, sizeof(*params));
}
EDGESEQ_INLINE edgeseq_generate_params edgeseq_generate_params_default(void) {
  edgeseq_generate_params p;
  edgeseq_generate_params_init(&p);
  return p;
}

/* Decodes n_sources sources of token ids (sources[i] has source_lens[i]
 * ids, used verbatim: edgeseq_tokenize gives a text's framed ids) in one
 * batch, at most the generator's max_batch. params NULL: the defaults.
 * *out (edgeseq_result_free) holds num_hypotheses hypotheses per source,
 * best first. On failure *out is NULL. */
EDGESEQ_C_API edgeseq_status edgeseq_generate_batch(edgeseq_generator* generator, const int32_t* const* sources,
                                                    const size_t* source_lens, size_t n_sources,
                                                    const edgeseq_generate_params* params, edgeseq_result** out);

/* Sources in a result (as given). 0 for NULL. */
EDGESEQ_C_API size_t edgeseq_result_sources(const edgeseq_result* result);
/* Hypotheses for one source. 0 for NULL or an index out of range. */
EDGESEQ_C_API size_t edgeseq_result_hypotheses(const edgeseq_result* result, size_t source);
/* One hypothesis: *ids (owned by the result, valid until
 * edgeseq_result_free; NULL when *len is 0) without the decoder start token
 * and the final end token (unless return_end_token), *len of them, and
 * *score, the sum of the chosen tokens' log-probabilities (the end token
 * included; divided by length^length_penalty with normalize_scores). Any
 * out-pointer may be NULL.
 * EDGESEQ_ERROR_ARGUMENT for an index out of range. */
EDGESEQ_C_API edgeseq_status edgeseq_result_hypothesis(const edgeseq_result* result, size_t source, size_t index,
                                                       const int32_t** ids, size_t* len, float* score);
/* The same hypothesis as text (owned by the result), for a model with
 * vocabularies (else EDGESEQ_ERROR_MODEL). */
EDGESEQ_C_API edgeseq_status edgeseq_result_text(const edgeseq_result* result, size_t source, size_t index,
                                                 const char** text);
/* With return_attention: the alignment of each of the hypothesis's ids (the
 * cross-attention of the model's alignment heads and layer, averaged;
 * CTranslate2's return_attention), row-major: *weights (owned by the
 * result) holds one row of *source_len weights (the source's ids, summing
 * to 1) per id of the hypothesis. Without it: *weights NULL, *source_len 0.
 * EDGESEQ_ERROR_ARGUMENT for an index out of range. */
EDGESEQ_C_API edgeseq_status edgeseq_result_attention(const edgeseq_result* result, size_t source, size_t index,
                                                      const float** weights, size_t* source_len);
EDGESEQ_C_API void edgeseq_result_free(edgeseq_result* result);

/* Text in, best text out: edgeseq_tokenize, generate, edgeseq_detokenize.
 * For a source_is_words model each whitespace-separated word is decoded on
 * its own (batched by the generator's max_batch) and the outputs are joined
 * with " | ", as the CLI prints them. *out_text (edgeseq_free) is
 * NUL-terminated; params NULL: the defaults; num_hypotheses above 1 is
 * allowed but only the best is returned. */
EDGESEQ_C_API edgeseq_status edgeseq_generate_text_with_params(edgeseq_generator* generator, const char* text,
                                                               const edgeseq_generate_params* params,
                                                               char** out_text);

/* Teacher forcing: the log-probability of each target followed by EOS given
 * its source (n pairs, at most the generator's max_batch), written to
 * out_logprobs[0..n); 0 for an empty source (as CTranslate2's score_batch). */
EDGESEQ_C_API edgeseq_status edgeseq_score_batch(edgeseq_generator* generator, const int32_t* const* sources,
                                                 const size_t* source_lens, const int32_t* const* targets,
                                                 const size_t* target_lens, size_t n, float* out_logprobs);

/* ---- Log-mel models (Whisper) -------------------------------------------- */

/* As edgeseq_generate_batch for a log-mel model (edgeseq_info.n_mels > 0):
 * n_sources sources (at most max_batch) of features, features[i] holding
 * exactly frames × n_mels floats (edgeseq_info), time-major (frame t's
 * n_mels values at [t·n_mels, (t+1)·n_mels)), in the model's log-mel units
 * (Whisper: log10 of the mel power spectrogram floored at its maximum − 8,
 * then (x + 4) / 4; audio padded to 30 s first). Whisper's prompt (language,
 * task ids) goes in params->target_prefix. The result has ids, no text.
 * EDGESEQ_ERROR_INPUT: a token-id model, a non-finite value,
 * return_attention, replace_unknowns or source_language. */
EDGESEQ_C_API edgeseq_status edgeseq_generate_features(edgeseq_generator* generator, const float* const* features,
                                                       size_t n_sources, const edgeseq_generate_params* params,
                                                       edgeseq_result** out);

/* As edgeseq_score_batch for a log-mel model: the log-probability of each
 * target followed by EOS given features[i] (as edgeseq_generate_features),
 * n pairs, written to out_logprobs[0..n). */
EDGESEQ_C_API edgeseq_status edgeseq_score_features(edgeseq_generator* generator, const float* const* features,
                                                    const int32_t* const* targets, const size_t* target_lens,
                                                    size_t n, float* out_logprobs);

/* ---- Speech to text (Whisper) --------------------------------------------- */

/* openai-whisper's transcribe() (whisper/transcribe.py, decoding.py) on a
 * Whisper model converted with its tokenizer (edgeseq-convert
 * --tgt-tokenizer tiktoken:FILE): the audio's log-mel in windows of
 * edgeseq_info.frames (30 s for Whisper's models), each decoded under
 * Whisper's rules, again at the next temperature when its text fails the
 * thresholds, the next window starting where the text ended. A generator
 * made with edgeseq_generator_new(model, 0, 0, 0, 0, ...) has room for it
 * at beam 1 with best_of up to 16 (max_beam must be at least beam_size,
 * max_batch at least best_of, max_target at least max_target_positions;
 * else EDGESEQ_ERROR_LIMIT naming them). The model's tokenizer and rules are
 * read once, on the first transcription, and shared by its generators. */

typedef enum {
  EDGESEQ_TASK_TRANSCRIBE = 0, /* text in the spoken language */
  EDGESEQ_TASK_TRANSLATE = 1   /* text in English */
} edgeseq_task;

/* One segment of a transcript. Owned by the library: valid during the
 * callback it is given to, or until edgeseq_transcript_free for one from
 * edgeseq_transcript_segment. Newer libraries may append fields (struct_size
 * says how many bytes this one has). */
typedef struct {
  size_t struct_size;
  double start, end;      /* seconds from the audio's start */
  const char* text;       /* UTF-8, NUL-terminated, as the model wrote it (usually a leading space) */
  const int32_t* tokens;  /* n_tokens target ids, timestamp tokens included (NULL when n_tokens is 0) */
  size_t n_tokens;
  float temperature;       /* the temperature of the pass that produced it */
  float avg_logprob;       /* the window's sum of log-probabilities / (tokens + 1) */
  float compression_ratio; /* the window's text: its length / its zlib-compressed length */
  float no_speech_prob;    /* the probability of <|nospeech|> at the window's start */
} edgeseq_segment;

/* Called for each segment as soon as its window is done, in order, on the
 * calling thread (it must not call the same generator). Return 0 to go on,
 * non-zero to stop: the transcript holds the segments so far, and
 * edgeseq_transcript_stopped says so. */
typedef int (*edgeseq_segment_callback)(const edgeseq_segment* segment, void* user_data);

/* Called once, on the calling thread, when the language has been detected on
 * the first window (multilingual model, params.language NULL, "" or
 * "auto"), before any window is decoded: `language` its code ("de"; valid
 * during the call), `probability` in [0, 1]. Not called when the language
 * is given or the model is English-only. Return 0 to go on, non-zero to
 * stop: the transcript has the language and no segments, and
 * edgeseq_transcript_stopped says so. */
typedef int (*edgeseq_language_callback)(const char* language, float probability, void* user_data);

typedef struct {
  size_t struct_size;    /* set by edgeseq_transcribe_params_init */
  const char* language;  /* one of the model's languages, a Whisper code or English name in any case ("de",
                            "German"); NULL, "" or "auto" (default):
                            detected on the first window (multilingual models). English-only models ignore it.
                            Unknown: EDGESEQ_ERROR_INPUT */
  edgeseq_task task;     /* default EDGESEQ_TASK_TRANSCRIBE */
  int timestamps;        /* nonzero: Whisper's timestamp tokens, segments end at the model's timestamps;
                            0 (default): one segment per window */
  size_t beam_size;      /* 0 or 1 (default): greedy at temperature 0; more: beam search of that width */
  float patience;        /* beam search: Whisper's patience, > 0; default 1 */
  size_t best_of;        /* samples drawn at each temperature > 0, the most likely kept; default 5 */
  const float* temperatures; /* n_temperatures temperatures (each >= 0) tried in order until a window passes */
  size_t n_temperatures;     /* the thresholds; NULL/0 (default): 0, 0.2, 0.4, 0.6, 0.8, 1 */
  float compression_ratio_threshold; /* gzip ratio above this: fall back; <= 0: off; default 2.4 */
  float logprob_threshold;           /* average log-prob below this: fall back; NaN: off; default -1 */
  float no_speech_threshold;         /* <|nospeech|> above this with a low log-prob: silence; NaN: off;
                                        default 0.6 */
  int condition_on_previous_text;    /* nonzero (default): the previous windows' text as the prompt */
  const char* initial_prompt;        /* UTF-8 text read before the first window; NULL (default): none */
  int suppress_blank;                /* nonzero (default): no blank or end token as a window's first token */
  const int32_t* suppress_tokens;    /* n_suppress_tokens ids never sampled, -1 standing for Whisper's */
  size_t n_suppress_tokens;          /* non-speech symbols; NULL (default): {-1}; a non-NULL pointer with 0:
                                        none (Whisper's task and control tokens are always suppressed) */
  double max_initial_timestamp;      /* the first timestamp at most this many seconds; default 1 */
  uint64_t seed;                     /* sampling: the same seed, params and audio give the same output */
  edgeseq_segment_callback on_segment; /* NULL (default): none */
  void* on_segment_user_data;          /* passed to on_segment */
  edgeseq_language_callback on_language; /* NULL (default): none */
  void* on_language_user_data;           /* passed to on_language */
} edgeseq_transcribe_params;

EDGESEQ_C_API void edgeseq_transcribe_params_init_sized(edgeseq_transcribe_params* params, size_t struct_size);
EDGESEQ_INLINE void edgeseq_transcribe_params_init(edgeseq_transcribe_params* params) {
  edgeseq_transcribe_params_init_sized(params, sizeof(*params));
}

/* Transcribes n_samples samples of 16 kHz mono float PCM in [-1, 1] (a
 * microphone's, a decoded file's; 0 samples: no segments). params NULL: the
 * defaults. *out (edgeseq_transcript_free) is NULL on failure.
 * EDGESEQ_ERROR_INPUT: a token model, an unknown language, a bad option;
 * EDGESEQ_ERROR_MODEL: a Whisper model converted without its tokenizer. */
EDGESEQ_C_API edgeseq_status edgeseq_transcribe(edgeseq_generator* generator, const float* pcm, size_t n_samples,
                                                const edgeseq_transcribe_params* params, edgeseq_transcript** out);
/* The same for an audio file (WAV, FLAC, Ogg, Opus, MP3, ...; decoded, mixed
 * to mono, resampled to 16 kHz); errors name the file. */
EDGESEQ_C_API edgeseq_status edgeseq_transcribe_file(edgeseq_generator* generator, const char* path,
                                                     const edgeseq_transcribe_params* params,
                                                     edgeseq_transcript** out);
/* The spoken language of the first window of the PCM (as edgeseq_transcribe
 * takes it): *out_language (edgeseq_free) its code, *out_probability
 * (optional) its probability. EDGESEQ_ERROR_INPUT for an English-only model. */
EDGESEQ_C_API edgeseq_status edgeseq_detect_language(edgeseq_generator* generator, const float* pcm,
                                                     size_t n_samples, char** out_language, float* out_probability);

/* A transcript's segments (0 for NULL), and the i-th (NULL when out of
 * range). */
EDGESEQ_C_API size_t edgeseq_transcript_segment_count(const edgeseq_transcript* transcript);
EDGESEQ_C_API const edgeseq_segment* edgeseq_transcript_segment(const edgeseq_transcript* transcript, size_t i);
/* All segments' text concatenated (UTF-8), and the language used ("en"; ""
 * for English-only models); owned by the transcript, "" for NULL. */
EDGESEQ_C_API const char* edgeseq_transcript_text(const edgeseq_transcript* transcript);
EDGESEQ_C_API const char* edgeseq_transcript_language(const edgeseq_transcript* transcript);
/* The detected language's probability; 0 when the language was given. */
EDGESEQ_C_API float edgeseq_transcript_language_probability(const edgeseq_transcript* transcript);
/* Nonzero when a callback (on_segment, on_language) stopped the transcription. */
EDGESEQ_C_API int edgeseq_transcript_stopped(const edgeseq_transcript* transcript);
EDGESEQ_C_API void edgeseq_transcript_free(edgeseq_transcript* transcript);

/* ---- Older calls, kept working ------------------------------------------ */

/* Options without struct_size (no num_hypotheses, no callback): prefer
 * edgeseq_generate_params. */
typedef struct {
  size_t max_length;    /* 0: the generator's max_target */
  size_t min_length;
  size_t beam;          /* 1: greedy (or sampling) */
  float length_penalty; /* beam: rank by score / length^alpha */
  int sample;           /* nonzero: sample (beam must be 1) */
  float temperature;
  size_t top_k;         /* 0: all */
  float top_p;          /* (0, 1] */
  uint64_t seed;
} edgeseq_options;

/* Fills `o` with the defaults (greedy, max_length 0: the generator's max_target). */
EDGESEQ_C_API void edgeseq_options_init(edgeseq_options* o);

/* Decodes one source of token ids (options NULL: the defaults). The best
 * hypothesis's ids (without the decoder start token and the final EOS) go
 * to out_ids, at most out_capacity of them; *out_len receives the full
 * length (if it exceeds out_capacity, call again with more room) and
 * *out_score (optional) its score. */
EDGESEQ_C_API edgeseq_status edgeseq_generate(edgeseq_generator* generator, const int32_t* source, size_t source_len,
                                              const edgeseq_options* options, int32_t* out_ids, size_t out_capacity,
                                              size_t* out_len, float* out_score);

/* edgeseq_generate_text_with_params into a caller's buffer: `out` receives
 * a NUL-terminated string of at most out_capacity bytes including the NUL
 * (truncated to fit); *out_len the full length without it. */
EDGESEQ_C_API edgeseq_status edgeseq_generate_text(edgeseq_generator* generator, const char* text,
                                                   const edgeseq_options* options, char* out, size_t out_capacity,
                                                   size_t* out_len);

/* Log-probability of `target` followed by EOS given `source`. */
EDGESEQ_C_API edgeseq_status edgeseq_score(edgeseq_generator* generator, const int32_t* source, size_t source_len,
                                           const int32_t* target, size_t target_len, float* out_logprob);

#ifdef __cplusplus
}
#endif

#endif /* EDGESEQ_EDGESEQ_H_ */
