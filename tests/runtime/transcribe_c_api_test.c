/* edgeseq_transcribe and friends (edgeseq/edgeseq.h) called from C (C11):
 * parameters' defaults and struct_size, NULL arguments, a bad language and
 * task, the segment and language callbacks and stopping through them,
 * accessors out of range. Called by transcribe_api_test.cc (which builds the Whisper model
 * and compares the C API's segments with the runtime's); returns the number
 * of failed checks, each named on stderr. `pcm`: n samples of 16 kHz audio
 * long enough for two windows at least. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <edgeseq/edgeseq.h>

static int g_failures;

#define CHECK(cond)                                                                                   \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      ++g_failures;                                                                                   \
      fprintf(stderr, "FAIL (%s:%d): %s [last error: %s]\n", __FILE__, __LINE__, #cond,              \
              edgeseq_last_error());                                                                  \
    }                                                                                                 \
  } while (0)
#define CHECK_STATUS(call, expected)                                                                  \
  do {                                                                                                \
    const edgeseq_status s_ = (call);                                                                 \
    CHECK(s_ == (expected));                                                                          \
    if (s_ != EDGESEQ_OK) CHECK(edgeseq_last_error()[0] != '\0');                                     \
  } while (0)

typedef struct {
  int calls;
  int stop_after; /* stop (return 1) on this call; 0: never */
  double last_end;
  int in_order;
} Calls;

static int OnSegment(const edgeseq_segment* s, void* user) {
  Calls* c = (Calls*)user;
  ++c->calls;
  if (s->struct_size < sizeof(edgeseq_segment) || s->text == NULL || (s->n_tokens > 0 && s->tokens == NULL)) {
    c->in_order = 0;
  }
  if (s->start < c->last_end - 1e-9 || s->end < s->start) c->in_order = 0;
  c->last_end = s->end;
  return c->stop_after != 0 && c->calls >= c->stop_after;
}

typedef struct {
  int calls;
  int stop;         /* returned */
  char code[16];    /* the language told */
  float probability;
  int segments_before; /* segments seen when it was called */
  const Calls* segments;
} LanguageCalls;

static int OnLanguage(const char* language, float probability, void* user) {
  LanguageCalls* c = (LanguageCalls*)user;
  ++c->calls;
  snprintf(c->code, sizeof c->code, "%s", language ? language : "");
  c->probability = probability;
  c->segments_before = c->segments ? c->segments->calls : -1;
  return c->stop;
}

int TranscribeCApiChecks(const char* model_path, const char* audio_path, const float* pcm, size_t n) {
  g_failures = 0;
  edgeseq_model* m = NULL;
  CHECK_STATUS(edgeseq_model_load(model_path, &m), EDGESEQ_OK);
  if (!m) return g_failures;
  edgeseq_generator* g = NULL;
  CHECK_STATUS(edgeseq_generator_new(m, 0, 0, 0, 0, &g), EDGESEQ_OK);
  if (!g) return g_failures;

  /* Defaults: Whisper's transcribe(). */
  edgeseq_transcribe_params p;
  edgeseq_transcribe_params_init(&p);
  CHECK(p.struct_size == sizeof p);
  CHECK(p.language == NULL && p.task == EDGESEQ_TASK_TRANSCRIBE && p.timestamps == 0);
  CHECK(p.beam_size == 1 && p.best_of == 5 && p.patience == 1.0f);
  CHECK(p.temperatures == NULL && p.n_temperatures == 0);
  CHECK(p.compression_ratio_threshold == 2.4f && p.logprob_threshold == -1.0f && p.no_speech_threshold == 0.6f);
  CHECK(p.condition_on_previous_text == 1 && p.initial_prompt == NULL && p.on_segment == NULL);
  CHECK(p.on_language == NULL && p.on_language_user_data == NULL);

  /* A transcription with the callback, in order, the same segments the
   * transcript keeps (greedy only: the random model would fall back on every
   * window, and sampling is slow). */
  static const float kGreedy[] = {0.0f};
  Calls calls = {0, 0, 0.0, 1};
  p.language = "en";
  p.temperatures = kGreedy;
  p.n_temperatures = 1;
  p.on_segment = OnSegment;
  p.on_segment_user_data = &calls;
  edgeseq_transcript* t = NULL;
  CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &p, &t), EDGESEQ_OK);
  CHECK(t != NULL);
  const size_t count = edgeseq_transcript_segment_count(t);
  CHECK(count > 0);
  CHECK(calls.calls == (int)count && calls.in_order);
  CHECK(!edgeseq_transcript_stopped(t));
  CHECK(strcmp(edgeseq_transcript_language(t), "en") == 0);
  CHECK(edgeseq_transcript_language_probability(t) == 0.0f); /* given, not detected */
  {
    /* The text is the segments' text, concatenated. */
    size_t len = 0;
    for (size_t i = 0; i < count; ++i) len += strlen(edgeseq_transcript_segment(t, i)->text);
    CHECK(strlen(edgeseq_transcript_text(t)) == len);
  }
  CHECK(edgeseq_transcript_segment(t, count) == NULL);

  /* Stopping: non-zero from the callback ends the transcription there. */
  if (count > 1) {
    Calls stop = {0, 1, 0.0, 1};
    edgeseq_transcript* s = NULL;
    p.on_segment_user_data = &stop;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &p, &s), EDGESEQ_OK);
    CHECK(stop.calls == 1);
    CHECK(edgeseq_transcript_segment_count(s) == 1);
    CHECK(edgeseq_transcript_stopped(s) == 1);
    CHECK(strcmp(edgeseq_transcript_segment(s, 0)->text, edgeseq_transcript_segment(t, 0)->text) == 0);
    edgeseq_transcript_free(s);
  }
  edgeseq_transcript_free(t);

  /* A file: jfk.flac decoded by the library. */
  p.on_segment = NULL;
  t = NULL;
  CHECK_STATUS(edgeseq_transcribe_file(g, audio_path, &p, &t), EDGESEQ_OK);
  CHECK(edgeseq_transcript_segment_count(t) > 0);
  edgeseq_transcript_free(t);

  /* Language detection: a code of the model's and a probability. */
  {
    char* code = NULL;
    float prob = -1;
    CHECK_STATUS(edgeseq_detect_language(g, pcm, n, &code, &prob), EDGESEQ_OK);
    CHECK(code != NULL && strlen(code) >= 2 && prob > 0 && prob <= 1);
    /* Auto-detection agrees with it. */
    edgeseq_transcribe_params a;
    edgeseq_transcribe_params_init(&a);
    a.language = "auto";
    a.temperatures = kGreedy;
    a.n_temperatures = 1;
    t = NULL;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &a, &t), EDGESEQ_OK);
    CHECK(code && strcmp(edgeseq_transcript_language(t), code) == 0);
    CHECK(fabsf(edgeseq_transcript_language_probability(t) - prob) < 1e-6f);
    edgeseq_transcript_free(t);
    /* The language callback: once, before any segment, with the same code and
     * probability; non-zero from it stops before any window. */
    Calls seen = {0, 0, 0.0, 1};
    LanguageCalls lang = {0, 0, "", -1.0f, -1, &seen};
    a.on_segment = OnSegment;
    a.on_segment_user_data = &seen;
    a.on_language = OnLanguage;
    a.on_language_user_data = &lang;
    t = NULL;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &a, &t), EDGESEQ_OK);
    CHECK(lang.calls == 1 && lang.segments_before == 0 && seen.calls > 0);
    CHECK(code && strcmp(lang.code, code) == 0);
    CHECK(fabsf(lang.probability - prob) < 1e-6f);
    CHECK(!edgeseq_transcript_stopped(t));
    edgeseq_transcript_free(t);
    LanguageCalls stop = {0, 1, "", -1.0f, -1, NULL};
    a.on_segment = NULL;
    a.on_language_user_data = &stop;
    t = NULL;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &a, &t), EDGESEQ_OK);
    CHECK(stop.calls == 1 && edgeseq_transcript_stopped(t) == 1);
    CHECK(edgeseq_transcript_segment_count(t) == 0);
    CHECK(code && strcmp(edgeseq_transcript_language(t), code) == 0);
    edgeseq_transcript_free(t);
    /* A given language is not detected: no call. */
    LanguageCalls none = {0, 0, "", -1.0f, -1, NULL};
    a.language = "en";
    a.on_language_user_data = &none;
    t = NULL;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &a, &t), EDGESEQ_OK);
    CHECK(none.calls == 0);
    edgeseq_transcript_free(t);
    edgeseq_free(code);
  }

  /* Errors: NULL arguments, out stays NULL. */
  t = (edgeseq_transcript*)&calls; /* set to NULL by every failure */
  CHECK_STATUS(edgeseq_transcribe(NULL, pcm, n, NULL, &t), EDGESEQ_ERROR_ARGUMENT);
  CHECK(t == NULL);
  CHECK_STATUS(edgeseq_transcribe(g, pcm, n, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_transcribe(g, NULL, n, NULL, &t), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_transcribe_file(g, NULL, NULL, &t), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_transcribe_file(NULL, audio_path, NULL, &t), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_detect_language(g, pcm, n, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK(t == NULL);
  /* Bad struct_size: uninitialized (too small, absurd). */
  {
    edgeseq_transcribe_params bad;
    memset(&bad, 0, sizeof bad);
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &bad, &t), EDGESEQ_ERROR_ARGUMENT);
    bad.struct_size = 1u << 20;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &bad, &t), EDGESEQ_ERROR_ARGUMENT);
    CHECK(strstr(edgeseq_last_error(), "struct_size") != NULL);
  }
  /* A language the model lacks, a bad task, a bad temperature, temperatures NULL. */
  {
    edgeseq_transcribe_params b;
    edgeseq_transcribe_params_init(&b);
    b.language = "xx";
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &b, &t), EDGESEQ_ERROR_INPUT);
    CHECK(strstr(edgeseq_last_error(), "xx") != NULL);
    edgeseq_transcribe_params_init(&b);
    b.task = (edgeseq_task)7;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &b, &t), EDGESEQ_ERROR_INPUT);
    edgeseq_transcribe_params_init(&b);
    {
      const float negative = -0.5f;
      b.temperatures = &negative;
      b.n_temperatures = 1;
      CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &b, &t), EDGESEQ_ERROR_INPUT);
    }
    b.temperatures = NULL;
    CHECK_STATUS(edgeseq_transcribe(g, pcm, n, &b, &t), EDGESEQ_ERROR_ARGUMENT);
  }
  CHECK_STATUS(edgeseq_transcribe_file(g, "/nonexistent/audio.flac", NULL, &t), EDGESEQ_ERROR_INPUT);
  CHECK(strstr(edgeseq_last_error(), "/nonexistent/audio.flac") != NULL);
  CHECK(t == NULL);
  /* Accessors take NULL. */
  CHECK(edgeseq_transcript_segment_count(NULL) == 0);
  CHECK(edgeseq_transcript_segment(NULL, 0) == NULL);
  CHECK(strcmp(edgeseq_transcript_text(NULL), "") == 0);
  CHECK(strcmp(edgeseq_transcript_language(NULL), "") == 0);
  CHECK(edgeseq_transcript_stopped(NULL) == 0);
  edgeseq_transcript_free(NULL);
  edgeseq_transcribe_params_init_sized(NULL, sizeof p);

  edgeseq_generator_free(g);
  edgeseq_model_free(m);
  return g_failures;
}
