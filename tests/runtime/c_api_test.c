/* The C API (edgeseq/edgeseq.h) from C11: every function, its error paths
 * (NULL arguments, bad ids, options out of range, damaged in-memory models,
 * bad struct sizes) and stopping through the token callback.
 *   runtime_c_api_test IDS_MODEL.esq [G2P_MODEL.esq]
 * IDS_MODEL: a model without vocabularies (tests/fixtures/parity/post_relu);
 * G2P_MODEL: the default model (examples/g2p), whose outputs for "hello" and
 * "world" are in tests/fixtures/g2p/expected.tsv. Exits non-zero on any
 * failed check; run it under ASan+UBSan too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edgeseq/edgeseq.h>

static int g_failures = 0;
static int g_checks = 0;
static const char* g_test = "";

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    ++g_checks;                                                                              \
    if (!(cond)) {                                                                           \
      ++g_failures;                                                                          \
      fprintf(stderr, "FAIL %s (%s:%d): %s [last error: %s]\n", g_test, __FILE__, __LINE__, \
              #cond, edgeseq_last_error());                                                  \
    }                                                                                        \
  } while (0)
/* A call's status, and a non-empty message on failure. */
#define CHECK_STATUS(call, expected)                                                                     \
  do {                                                                                                   \
    const edgeseq_status s_ = (call);                                                                    \
    ++g_checks;                                                                                          \
    if (s_ != (expected)) {                                                                              \
      ++g_failures;                                                                                      \
      fprintf(stderr, "FAIL %s (%s:%d): %s gave %s, expected %s [last error: %s]\n", g_test, __FILE__, \
              __LINE__, #call, edgeseq_status_name(s_), edgeseq_status_name(expected),                  \
              edgeseq_last_error());                                                                     \
    } else if (s_ != EDGESEQ_OK && edgeseq_last_error()[0] == '\0') {                                    \
      ++g_failures;                                                                                      \
      fprintf(stderr, "FAIL %s (%s:%d): %s failed without a message\n", g_test, __FILE__, __LINE__,     \
              #call);                                                                                    \
    }                                                                                                    \
  } while (0)
#define OK(call) CHECK_STATUS(call, EDGESEQ_OK)

static const char* g_ids_path;
static const char* g_g2p_path; /* NULL: no default model in this build */
static const char* g_g2p_unk_path; /* the same model converted with --unk 0 (NULL: not given) */

/* ---- helpers ---- */

static void* ReadFile(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  const long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  /* 64-byte aligned, one spare block so a misaligned view fits too. */
  const size_t cap = ((size_t)n + 64 + 63) / 64 * 64;
  unsigned char* buf = aligned_alloc(64, cap);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

static edgeseq_model* LoadOrDie(const char* path) {
  edgeseq_model* m = NULL;
  if (edgeseq_model_load(path, &m) != EDGESEQ_OK) {
    fprintf(stderr, "cannot load %s: %s\n", path, edgeseq_last_error());
    exit(1);
  }
  return m;
}

/* The best hypothesis of one source, into ids[cap]; returns its length. */
static size_t Best(edgeseq_generator* g, const int32_t* src, size_t n, const edgeseq_generate_params* p,
                   int32_t* ids, size_t cap, float* score) {
  edgeseq_result* r = NULL;
  size_t len = 0;
  OK(edgeseq_generate_batch(g, &src, &n, 1, p, &r));
  const int32_t* h = NULL;
  OK(edgeseq_result_hypothesis(r, 0, 0, &h, &len, score));
  if (len > cap) len = cap;
  if (len) memcpy(ids, h, len * sizeof(int32_t));
  edgeseq_result_free(r);
  return len;
}

static int SameIds(const int32_t* a, size_t na, const int32_t* b, size_t nb) {
  return na == nb && (na == 0 || memcmp(a, b, na * sizeof(int32_t)) == 0);
}

/* ---- tests ---- */

static void TestVersionAndErrors(void) {
  g_test = "version_and_errors";
  char expected[32];
  snprintf(expected, sizeof(expected), "%d.%d.%d", EDGESEQ_VERSION_MAJOR, EDGESEQ_VERSION_MINOR,
           EDGESEQ_VERSION_PATCH);
  CHECK(strcmp(edgeseq_version(), expected) == 0);
  CHECK(edgeseq_version_number() == EDGESEQ_VERSION_NUMBER);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_OK), "EDGESEQ_OK") == 0);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_ERROR_MODEL), "EDGESEQ_ERROR_MODEL") == 0);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_ERROR_INPUT), "EDGESEQ_ERROR_INPUT") == 0);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_ERROR_LIMIT), "EDGESEQ_ERROR_LIMIT") == 0);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_ERROR_ARGUMENT), "EDGESEQ_ERROR_ARGUMENT") == 0);
  CHECK(strcmp(edgeseq_status_name(EDGESEQ_ERROR_INTERNAL), "EDGESEQ_ERROR_INTERNAL") == 0);
  CHECK(strcmp(edgeseq_status_name((edgeseq_status)42), "unknown") == 0);
  /* Every _free takes NULL. */
  edgeseq_free(NULL);
  edgeseq_model_free(NULL);
  edgeseq_generator_free(NULL);
  edgeseq_result_free(NULL);
  /* Threads: process-wide, 0 restores the default. */
  edgeseq_set_threads(1);
  CHECK(edgeseq_get_threads() == 1);
  edgeseq_set_threads(0);
  CHECK(edgeseq_get_threads() >= 1);
  edgeseq_set_threads(1);
  CHECK(edgeseq_get_threads() == 1);
}

static void TestLoad(void) {
  g_test = "load";
  edgeseq_model* m = (edgeseq_model*)1;
  CHECK_STATUS(edgeseq_model_load(NULL, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK(m == NULL);
  CHECK_STATUS(edgeseq_model_load(g_ids_path, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_model_load("/nonexistent/model.esq", &m), EDGESEQ_ERROR_MODEL);
  CHECK(m == NULL && strstr(edgeseq_last_error(), "/nonexistent/model.esq") != NULL);

  edgeseq_load_params p;
  edgeseq_load_params_init(&p);
  CHECK(p.struct_size == sizeof(p) && p.verify_checksums == 0);
  p.verify_checksums = 1;
  OK(edgeseq_model_load_with_params(g_ids_path, &p, &m));
  CHECK(m != NULL && edgeseq_last_error()[0] == '\0');
  edgeseq_model_free(m);
  OK(edgeseq_model_load_with_params(g_ids_path, NULL, &m));
  edgeseq_model_free(m);
  p.struct_size = 0; /* not initialized */
  CHECK_STATUS(edgeseq_model_load_with_params(g_ids_path, &p, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK(m == NULL);
  CHECK_STATUS(edgeseq_model_load_with_params(NULL, NULL, &m), EDGESEQ_ERROR_ARGUMENT);
  /* A newer header's larger struct: unknown fields at 0 are fine, set ones are refused. */
  struct {
    edgeseq_load_params p;
    int newer_field;
  } bigger;
  edgeseq_load_params_init_sized(&bigger.p, sizeof(bigger));
  CHECK(bigger.p.struct_size == sizeof(bigger) && bigger.newer_field == 0);
  OK(edgeseq_model_load_with_params(g_ids_path, &bigger.p, &m));
  edgeseq_model_free(m);
  bigger.newer_field = 7;
  CHECK_STATUS(edgeseq_model_load_with_params(g_ids_path, &bigger.p, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK(m == NULL);
  edgeseq_load_params_init_sized(NULL, sizeof(p)); /* no crash */
}

static void TestLoadFromMemory(void) {
  g_test = "load_from_memory";
  size_t size = 0;
  unsigned char* bytes = ReadFile(g_ids_path, &size);
  CHECK(bytes != NULL);
  if (!bytes) return;
  edgeseq_model* m = (edgeseq_model*)1;
  OK(edgeseq_model_load_from_memory(bytes, size, NULL, &m));
  edgeseq_model* f = LoadOrDie(g_ids_path);
  /* The same model as from the file: the same answer. */
  edgeseq_generator *gm = NULL, *gf = NULL;
  OK(edgeseq_generator_new(m, 0, 0, 0, 0, &gm));
  OK(edgeseq_generator_new(f, 0, 0, 0, 0, &gf));
  const int32_t src[] = {4, 19, 6, 8, 10, 12, 14};
  int32_t a[256], b[256];
  float sa = 0, sb = 0;
  const size_t na = Best(gm, src, 7, NULL, a, 256, &sa);
  const size_t nb = Best(gf, src, 7, NULL, b, 256, &sb);
  CHECK(na > 0 && SameIds(a, na, b, nb) && sa == sb);
  /* The model handle may go before its generators. */
  edgeseq_model_free(m);
  CHECK(Best(gm, src, 7, NULL, a, 256, &sa) == na);
  edgeseq_generator_free(gm);
  edgeseq_generator_free(gf);
  edgeseq_model_free(f);

  /* Argument errors. */
  CHECK_STATUS(edgeseq_model_load_from_memory(NULL, size, NULL, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK(m == NULL);
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, 0, NULL, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, size, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  memmove(bytes + 8, bytes, size); /* a misaligned copy */
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes + 8, size, NULL, &m), EDGESEQ_ERROR_ARGUMENT);
  CHECK(m == NULL && strstr(edgeseq_last_error(), "aligned") != NULL);
  memmove(bytes, bytes + 8, size);

  /* Damaged bytes: validated as a file is. */
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, size / 2, NULL, &m), EDGESEQ_ERROR_MODEL); /* truncated */
  CHECK(m == NULL);
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, 16, NULL, &m), EDGESEQ_ERROR_MODEL);
  const unsigned char first = bytes[0];
  bytes[0] ^= 0xff; /* the magic */
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, size, NULL, &m), EDGESEQ_ERROR_MODEL);
  CHECK(strstr(edgeseq_last_error(), "<memory>") != NULL);
  bytes[0] = first;
  /* A tensor byte: the structure is intact, the checksums are not. */
  bytes[size - 100] ^= 0x5a;
  OK(edgeseq_model_load_from_memory(bytes, size, NULL, &m));
  edgeseq_model_free(m);
  edgeseq_load_params p;
  edgeseq_load_params_init(&p);
  p.verify_checksums = 1;
  CHECK_STATUS(edgeseq_model_load_from_memory(bytes, size, &p, &m), EDGESEQ_ERROR_MODEL);
  CHECK(m == NULL && strstr(edgeseq_last_error(), "checksum") != NULL);
  bytes[size - 100] ^= 0x5a;
  OK(edgeseq_model_load_from_memory(bytes, size, &p, &m));
  edgeseq_model_free(m);
  /* Every other byte of the header region flipped in turn: an error or a
   * model, never a crash (ASan checks the reads). */
  for (size_t i = 0; i < 512 && i < size; i += 3) {
    bytes[i] ^= 0x80;
    m = NULL;
    const edgeseq_status s = edgeseq_model_load_from_memory(bytes, size, NULL, &m);
    CHECK(s == EDGESEQ_OK || s == EDGESEQ_ERROR_MODEL);
    CHECK((s == EDGESEQ_OK) == (m != NULL));
    edgeseq_model_free(m);
    bytes[i] ^= 0x80;
  }
  free(bytes);
}

static void TestInfo(void) {
  g_test = "info";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  CHECK(info.struct_size == sizeof(info));
  CHECK(info.has_vocabularies == 0 && info.source_is_words == 0);
  CHECK(info.d_model > 0 && info.heads == 4 && info.encoder_layers > 0 && info.decoder_layers > 0);
  CHECK(info.ffn_dim > 0 && info.src_vocab_size > 0 && info.tgt_vocab_size > 0 && info.max_positions > 0);
  CHECK(info.eos_id >= 0 && info.decoder_start_id >= 0);
  size_t sv = 0, tv = 0, pos = 0;
  OK(edgeseq_model_info(m, &sv, &tv, &pos));
  CHECK(sv == info.src_vocab_size && tv == info.tgt_vocab_size && pos == info.max_positions);
  OK(edgeseq_model_info(m, NULL, NULL, NULL));
  CHECK_STATUS(edgeseq_model_info(NULL, &sv, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_model_get_info(NULL, &info), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_model_get_info(m, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_model_get_info_sized(m, &info, 1), EDGESEQ_ERROR_ARGUMENT);
  /* An older header's smaller struct gets what fits; a newer one's zeros after ours. */
  struct {
    size_t struct_size;
    size_t d_model;
  } older;
  OK(edgeseq_model_get_info_sized(m, (edgeseq_info*)&older, sizeof(older)));
  CHECK(older.struct_size == sizeof(older) && older.d_model == info.d_model);
  struct {
    edgeseq_info info;
    int newer_field;
  } newer;
  newer.newer_field = 99;
  OK(edgeseq_model_get_info_sized(m, &newer.info, sizeof(newer)));
  CHECK(newer.info.struct_size == sizeof(newer) && newer.newer_field == 0 && newer.info.eos_id == info.eos_id);
  edgeseq_model_free(m);

  if (!g_g2p_path) return;
  m = LoadOrDie(g_g2p_path);
  OK(edgeseq_model_get_info(m, &info));
  /* examples/g2p (train.py --size base), as converted by CMakeLists.txt (edgeseq inspect prints the same). */
  CHECK(info.d_model == 256 && info.heads == 4 && info.encoder_layers == 4 && info.decoder_layers == 4);
  CHECK(info.ffn_dim == 1024 && info.src_vocab_size == 30 && info.tgt_vocab_size == 59);
  CHECK(info.max_positions == 64);
  CHECK(info.pad_id == 1 && info.bos_id == 2 && info.eos_id == 3 && info.decoder_start_id == 2);
  CHECK(info.src_unk_id == -1 && info.tgt_unk_id == 0); /* --src-unk -1: digits refused */
  CHECK(info.has_vocabularies == 1 && info.source_is_words == 1);
  edgeseq_model_free(m);
}

static void TestGeneratorLimits(void) {
  g_test = "generator_limits";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  edgeseq_generator* g = (edgeseq_generator*)1;
  CHECK_STATUS(edgeseq_generator_new(NULL, 1, 1, 1, 1, &g), EDGESEQ_ERROR_ARGUMENT);
  CHECK(g == NULL);
  CHECK_STATUS(edgeseq_generator_new(m, 1, 1, 1, 1, NULL), EDGESEQ_ERROR_ARGUMENT);
  /* Beyond the model's positions: an explicit request is refused. */
  CHECK_STATUS(edgeseq_generator_new(m, 1, info.max_positions + 1, 0, 0, &g), EDGESEQ_ERROR_LIMIT);
  CHECK(g == NULL);
  CHECK_STATUS(edgeseq_generator_new(m, 1, 0, info.max_positions + 1, 0, &g), EDGESEQ_ERROR_LIMIT);
  /* 0: defaults fitted to the model. */
  OK(edgeseq_generator_new(m, 0, 0, 0, 0, &g));
  size_t b = 0, s = 0, t = 0, beam = 0;
  OK(edgeseq_generator_limits(g, &b, &s, &t, &beam));
  const size_t fit = info.max_positions < 256 ? info.max_positions : 256;
  CHECK(b == 16 && s == fit && t == fit && beam == 1);
  OK(edgeseq_generator_limits(g, NULL, NULL, NULL, NULL));
  CHECK_STATUS(edgeseq_generator_limits(NULL, &b, NULL, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  edgeseq_generator_free(g);
  OK(edgeseq_generator_new(m, 3, 8, 5, 2, &g));
  OK(edgeseq_generator_limits(g, &b, &s, &t, &beam));
  CHECK(b == 3 && s == 8 && t == 5 && beam == 2);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

static void TestGenerateBatch(void) {
  g_test = "generate_batch";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 4, 0, 0, 4, &g));
  edgeseq_generate_params p = edgeseq_generate_params_default();
  CHECK(p.struct_size == sizeof(p) && p.max_length == 0 && p.beam == 1 && p.num_hypotheses == 1);
  CHECK(p.sample == 0 && p.temperature == 1.0f && p.top_k == 0 && p.top_p == 1.0f && p.length_penalty == 1.0f);
  CHECK(p.on_token == NULL && p.on_token_user_data == NULL && p.seed == 0 && p.min_length == 0);

  const int32_t s0[] = {4, 19, 6, 8, 10, 12, 14}, s1[] = {5, 7, 9}, s2[] = {11, 13, 15, 17, 19};
  const int32_t* srcs[] = {s0, s1, s2};
  const size_t lens[] = {7, 3, 5};
  edgeseq_result* r = NULL;
  OK(edgeseq_generate_batch(g, srcs, lens, 3, &p, &r));
  CHECK(edgeseq_result_sources(r) == 3);
  /* Batched = one by one (greedy). */
  for (size_t i = 0; i < 3; ++i) {
    CHECK(edgeseq_result_hypotheses(r, i) == 1);
    const int32_t* ids = NULL;
    size_t len = 0;
    float score = 0;
    OK(edgeseq_result_hypothesis(r, i, 0, &ids, &len, &score));
    int32_t one[256];
    float one_score = 0;
    const size_t n = Best(g, srcs[i], lens[i], NULL, one, 256, &one_score);
    CHECK(SameIds(ids, len, one, n) && fabsf(score - one_score) < 1e-4f && score <= 0.0f);
    /* The older call gives the same. */
    int32_t old[256];
    size_t old_len = 0;
    float old_score = 0;
    edgeseq_options o;
    edgeseq_options_init(&o);
    CHECK(o.max_length == 0 && o.beam == 1);
    OK(edgeseq_generate(g, srcs[i], lens[i], &o, old, 256, &old_len, &old_score));
    CHECK(SameIds(old, old_len, one, n) && old_score == one_score);
    OK(edgeseq_generate(g, srcs[i], lens[i], NULL, old, 256, &old_len, NULL));
    /* Too little room: the full length comes back, the prefix is written. */
    int32_t small[1] = {-7};
    size_t small_len = 0;
    OK(edgeseq_generate(g, srcs[i], lens[i], NULL, small, n ? 1 : 0, &small_len, NULL));
    CHECK(small_len == n && (n == 0 || small[0] == one[0]));
    OK(edgeseq_generate(g, srcs[i], lens[i], NULL, NULL, 0, &small_len, NULL));
    CHECK(small_len == n);
  }
  /* Accessors out of range. */
  CHECK(edgeseq_result_hypotheses(r, 3) == 0 && edgeseq_result_hypotheses(NULL, 0) == 0);
  CHECK(edgeseq_result_sources(NULL) == 0);
  const int32_t* ids = (const int32_t*)1;
  CHECK_STATUS(edgeseq_result_hypothesis(r, 3, 0, &ids, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK(ids == NULL);
  CHECK_STATUS(edgeseq_result_hypothesis(r, 0, 1, NULL, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_result_hypothesis(NULL, 0, 0, NULL, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  OK(edgeseq_result_hypothesis(r, 0, 0, NULL, NULL, NULL));
  const char* text = (const char*)1;
  CHECK_STATUS(edgeseq_result_text(r, 0, 0, &text), EDGESEQ_ERROR_MODEL); /* no vocabularies */
  CHECK(text == NULL);
  CHECK_STATUS(edgeseq_result_text(r, 0, 0, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_result_text(NULL, 0, 0, &text), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_result_text(r, 5, 0, &text), EDGESEQ_ERROR_ARGUMENT);
  edgeseq_result_free(r);

  /* n-best: beam 4, 3 hypotheses, best first (length penalty 0: by score). */
  p.beam = 4;
  p.num_hypotheses = 3;
  p.length_penalty = 0.0f;
  OK(edgeseq_generate_batch(g, srcs, lens, 2, &p, &r));
  CHECK(edgeseq_result_sources(r) == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(edgeseq_result_hypotheses(r, i) == 3);
    float prev = 0.0f;
    for (size_t h = 0; h < 3; ++h) {
      float score = 1.0f;
      OK(edgeseq_result_hypothesis(r, i, h, NULL, NULL, &score));
      CHECK(score <= 0.0f && (h == 0 || score <= prev));
      prev = score;
    }
  }
  edgeseq_result_free(r);

  /* Sampling: reproducible by seed; top-k 1 is greedy. */
  p = edgeseq_generate_params_default();
  p.sample = 1;
  p.seed = 1234;
  p.temperature = 1.5f;
  p.top_p = 0.9f;
  int32_t a[256], b[256], greedy[256];
  const size_t na = Best(g, s0, 7, &p, a, 256, NULL);
  const size_t nb = Best(g, s0, 7, &p, b, 256, NULL);
  CHECK(SameIds(a, na, b, nb));
  const size_t ng = Best(g, s0, 7, NULL, greedy, 256, NULL);
  p.top_k = 1;
  p.top_p = 1.0f;
  const size_t nk = Best(g, s0, 7, &p, a, 256, NULL);
  CHECK(SameIds(a, nk, greedy, ng));
  /* max_length and min_length. */
  p = edgeseq_generate_params_default();
  p.max_length = 2;
  CHECK(Best(g, s0, 7, &p, a, 256, NULL) <= 2);
  p.max_length = 0;
  p.min_length = 3;
  CHECK(Best(g, s1, 3, &p, a, 256, NULL) >= 3);

  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

static void TestGenerateErrors(void) {
  g_test = "generate_errors";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 2, 8, 10, 2, &g));
  const int32_t s0[] = {4, 19, 6};
  const int32_t* srcs[] = {s0, s0, s0};
  const size_t lens[] = {3, 3, 3};
  edgeseq_result* r = (edgeseq_result*)1;
  edgeseq_generate_params p;

#define EXPECT_PARAMS(expected)                                                  \
  do {                                                                           \
    CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r), (expected)); \
    CHECK(r == NULL);                                                            \
    edgeseq_generate_params_init(&p);                                            \
  } while (0)
  edgeseq_generate_params_init(&p);
  p.beam = 0;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.beam = 3; /* more than the generator's max_beam */
  EXPECT_PARAMS(EDGESEQ_ERROR_LIMIT);
  p.beam = 2;
  p.num_hypotheses = 3;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.num_hypotheses = 0;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.max_length = 11; /* more than max_target */
  EXPECT_PARAMS(EDGESEQ_ERROR_LIMIT);
  p.length_penalty = NAN;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.sample = 1;
  p.temperature = 0.0f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.sample = 1;
  p.top_p = 0.0f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.sample = 1;
  p.top_p = 1.5f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.sample = 1;
  p.top_k = info.tgt_vocab_size + 1;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.sample = 1;
  p.beam = 2;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.struct_size = 0;
  EXPECT_PARAMS(EDGESEQ_ERROR_ARGUMENT);
  p.struct_size = (size_t)0xdeadbeefu; /* garbage (fits a 32-bit size_t too) */
  EXPECT_PARAMS(EDGESEQ_ERROR_ARGUMENT);
  /* A newer header's struct: zero tail accepted, a set unknown field refused. */
  struct {
    edgeseq_generate_params p;
    double newer_field;
  } bigger;
  edgeseq_generate_params_init_sized(&bigger.p, sizeof(bigger));
  CHECK(bigger.newer_field == 0.0 && bigger.p.beam == 1);
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &bigger.p, &r));
  edgeseq_result_free(r);
  bigger.newer_field = 1.0;
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 1, &bigger.p, &r), EDGESEQ_ERROR_ARGUMENT);
  edgeseq_generate_params_init_sized(NULL, sizeof(p)); /* no crash */
#undef EXPECT_PARAMS

  /* Sources. */
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 3, NULL, &r), EDGESEQ_ERROR_LIMIT); /* > max_batch */
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 0, NULL, &r), EDGESEQ_ERROR_INPUT);
  CHECK_STATUS(edgeseq_generate_batch(g, NULL, lens, 1, NULL, &r), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, NULL, 1, NULL, &r), EDGESEQ_ERROR_ARGUMENT);
  const int32_t* null_src[] = {NULL};
  CHECK_STATUS(edgeseq_generate_batch(g, null_src, lens, 1, NULL, &r), EDGESEQ_ERROR_ARGUMENT);
  const size_t zero[] = {0};
  /* An empty source has nothing to translate: one empty hypothesis, score 0. */
  OK(edgeseq_generate_batch(g, null_src, zero, 1, NULL, &r));
  {
    const int32_t* ids = NULL;
    size_t len = 99;
    float score = -1.0f;
    OK(edgeseq_result_hypothesis(r, 0, 0, &ids, &len, &score));
    CHECK(len == 0 && ids == NULL && score == 0.0f);
    edgeseq_result_free(r);
    r = NULL;
  }
  const int32_t bad[] = {4, (int32_t)info.src_vocab_size};
  const int32_t* bad_src[] = {bad};
  const size_t bad_len[] = {2};
  CHECK_STATUS(edgeseq_generate_batch(g, bad_src, bad_len, 1, NULL, &r), EDGESEQ_ERROR_INPUT);
  const int32_t neg[] = {-1};
  const int32_t* neg_src[] = {neg};
  const size_t one[] = {1};
  CHECK_STATUS(edgeseq_generate_batch(g, neg_src, one, 1, NULL, &r), EDGESEQ_ERROR_INPUT);
  int32_t long_src[9] = {4, 4, 4, 4, 4, 4, 4, 4, 4};
  const int32_t* long_srcs[] = {long_src};
  const size_t nine[] = {9};
  CHECK_STATUS(edgeseq_generate_batch(g, long_srcs, nine, 1, NULL, &r), EDGESEQ_ERROR_LIMIT);
  CHECK_STATUS(edgeseq_generate_batch(NULL, srcs, lens, 1, NULL, &r), EDGESEQ_ERROR_ARGUMENT);
  CHECK(r == NULL);
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 1, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);

  /* The older calls' argument checks. */
  int32_t out[16];
  size_t len = 0;
  float score = 0;
  CHECK_STATUS(edgeseq_generate(NULL, s0, 3, NULL, out, 16, &len, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate(g, NULL, 3, NULL, out, 16, &len, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate(g, s0, 3, NULL, NULL, 16, &len, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate(g, s0, 3, NULL, out, 16, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate(g, bad, 2, NULL, out, 16, &len, NULL), EDGESEQ_ERROR_INPUT);
  edgeseq_options o;
  edgeseq_options_init(&o);
  o.beam = 0;
  CHECK_STATUS(edgeseq_generate(g, s0, 3, &o, out, 16, &len, &score), EDGESEQ_ERROR_INPUT);
  edgeseq_options_init(NULL); /* no crash */

  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

/* CTranslate2's TranslationOptions (issue 17): 0 is "off" for each field
 * (_init sets 0), each works, bad values are EDGESEQ_ERROR_INPUT, NULL arrays
 * with a count EDGESEQ_ERROR_ARGUMENT, a limit EDGESEQ_ERROR_LIMIT.
 * Agreement with CTranslate2 itself: tests/tools/ct2_options_test.cc. */
static int Contains(const int32_t* ids, size_t n, const int32_t* seq, size_t m) {
  for (size_t i = 0; i + m <= n; ++i) {
    if (memcmp(ids + i, seq, m * sizeof(int32_t)) == 0) return 1;
  }
  return 0;
}

static int AllDifferent(const int32_t* ids, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (ids[i] == ids[j]) return 0;
    }
  }
  return 1;
}

static void TestCt2Options(void) {
  g_test = "ct2_options";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 8, 16, 20, 4, &g));
  edgeseq_generate_params p;
  edgeseq_generate_params_init(&p);
  CHECK(p.repetition_penalty == 0.0f && p.no_repeat_ngram_size == 0 && p.disable_unk == 0);
  CHECK(p.suppress_sequences == NULL && p.suppress_sequence_lens == NULL && p.num_suppress_sequences == 0);
  CHECK(p.end_tokens == NULL && p.num_end_tokens == 0 && p.return_end_token == 0);
  CHECK(p.max_input_length == 0 && p.normalize_scores == 0);

  const int32_t s0[] = {4, 19, 6, 8, 10, 12, 14};
  int32_t plain[64], out[64];
  float plain_score = 0, score = 0;
  const size_t np = Best(g, s0, 7, &p, plain, 64, &plain_score);
  CHECK(np >= 3 && !AllDifferent(plain, np)); /* a repeat to remove */

  /* repetition_penalty: 0 and 1 are off; 100 leaves no repeat (as
   * CTranslate2's RepetitionPenalty test); negative or NaN: input error. */
  p.repetition_penalty = 1.0f;
  CHECK(SameIds(out, Best(g, s0, 7, &p, out, 64, &score), plain, np) && score == plain_score);
  p.repetition_penalty = 100.0f;
  size_t n = Best(g, s0, 7, &p, out, 64, NULL);
  CHECK(n > 0 && AllDifferent(out, n));
  p.beam = 4;
  n = Best(g, s0, 7, &p, out, 64, NULL);
  CHECK(n > 0 && AllDifferent(out, n));
  edgeseq_result* r = (edgeseq_result*)1;
  const int32_t* srcs[] = {s0};
  const size_t lens[] = {7};
#define EXPECT_PARAMS(expected)                                                  \
  do {                                                                           \
    CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r), (expected)); \
    CHECK(r == NULL);                                                            \
    edgeseq_generate_params_init(&p);                                            \
  } while (0)
  edgeseq_generate_params_init(&p);
  p.repetition_penalty = -1.0f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.repetition_penalty = NAN;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);

  /* no_repeat_ngram_size 1: no token twice. */
  p.no_repeat_ngram_size = 1;
  n = Best(g, s0, 7, &p, out, 64, NULL);
  CHECK(n > 0 && AllDifferent(out, n));
  edgeseq_generate_params_init(&p);

  /* disable_unk: the unknown id comes up when sampling hot, never with it;
   * greedy scores rise (its probability is shared out). */
  if (info.tgt_unk_id >= 0) {
    const int32_t unk = info.tgt_unk_id;
    size_t with = 0, without = 0;
    for (uint64_t seed = 0; seed < 30; ++seed) {
      p.sample = 1;
      p.temperature = 3.0f;
      p.seed = seed;
      p.disable_unk = 0;
      n = Best(g, s0, 7, &p, out, 64, NULL);
      without += Contains(out, n, &unk, 1);
      p.disable_unk = 1;
      n = Best(g, s0, 7, &p, out, 64, NULL);
      with += Contains(out, n, &unk, 1);
    }
    CHECK(without > 0 && with == 0);
    edgeseq_generate_params_init(&p);
    p.disable_unk = 1;
    CHECK(SameIds(out, Best(g, s0, 7, &p, out, 64, &score), plain, np) && score > plain_score);
    edgeseq_generate_params_init(&p);
  }

  /* suppress_sequences: a single token never, a pair never completes. */
  const int32_t single[] = {plain[0]}, pair[] = {plain[1], plain[2]}, outside[] = {(int32_t)info.tgt_vocab_size};
  const int32_t* seqs[] = {single, pair};
  const size_t seq_lens[] = {1, 2};
  p.suppress_sequences = seqs;
  p.suppress_sequence_lens = seq_lens;
  p.num_suppress_sequences = 2;
  for (size_t beam = 1; beam <= 4; beam += 3) {
    p.beam = beam;
    n = Best(g, s0, 7, &p, out, 64, NULL);
    CHECK(!Contains(out, n, single, 1) && !Contains(out, n, pair, 2));
  }
  edgeseq_generate_params_init(&p);
  const int32_t* bad_seqs[] = {outside};
  const size_t one_len[] = {1};
  p.suppress_sequences = bad_seqs;
  p.suppress_sequence_lens = one_len;
  p.num_suppress_sequences = 1;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.num_suppress_sequences = 1; /* the arrays NULL */
  EXPECT_PARAMS(EDGESEQ_ERROR_ARGUMENT);
  const int32_t* null_seq[] = {NULL};
  p.suppress_sequences = null_seq;
  p.suppress_sequence_lens = one_len;
  p.num_suppress_sequences = 1;
  EXPECT_PARAMS(EDGESEQ_ERROR_ARGUMENT);

  /* end_tokens: decoding ends on the first of them; return_end_token keeps
   * it; the score counts it either way. */
  const int32_t ends[] = {plain[2], plain[1]};
  size_t first = 0;
  while (plain[first] != ends[0] && plain[first] != ends[1]) ++first;
  p.end_tokens = ends;
  p.num_end_tokens = 2;
  float cut_score = 0;
  n = Best(g, s0, 7, &p, out, 64, &cut_score);
  CHECK(SameIds(out, n, plain, first));
  p.return_end_token = 1;
  n = Best(g, s0, 7, &p, out, 64, &score);
  CHECK(SameIds(out, n, plain, first + 1) && score == cut_score);
  p.beam = 4;
  n = Best(g, s0, 7, &p, out, 64, NULL);
  CHECK(n >= 1 && (out[n - 1] == ends[0] || out[n - 1] == ends[1]));
  edgeseq_generate_params_init(&p);
  p.return_end_token = 1; /* the model's EOS */
  n = Best(g, s0, 7, &p, out, 64, &score);
  CHECK(n == np + 1 && SameIds(out, np, plain, np) && out[np] == info.eos_id && score == plain_score);
  edgeseq_generate_params_init(&p);
  p.end_tokens = outside;
  p.num_end_tokens = 1;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.num_end_tokens = 1; /* end_tokens NULL */
  EXPECT_PARAMS(EDGESEQ_ERROR_ARGUMENT);

  /* max_input_length: longer sources are cut (here: no framing recorded on
   * a source that ends with an ordinary id); beyond max_source refused
   * without it, cut with it; more than max_source is a limit error. */
  p.max_input_length = 3;
  n = Best(g, s0, 7, &p, out, 64, &score);
  {
    float want_score = 0;
    const size_t nw = Best(g, s0, 3, NULL, plain, 64, &want_score);
    CHECK(SameIds(out, n, plain, nw) && score == want_score);
  }
  int32_t long_src[30];
  for (size_t i = 0; i < 30; ++i) long_src[i] = 9;
  const int32_t* long_srcs[] = {long_src};
  const size_t thirty[] = {30};
  CHECK_STATUS(edgeseq_generate_batch(g, long_srcs, thirty, 1, NULL, &r), EDGESEQ_ERROR_LIMIT);
  p.max_input_length = 16;
  OK(edgeseq_generate_batch(g, long_srcs, thirty, 1, &p, &r));
  edgeseq_result_free(r);
  r = NULL;
  p.max_input_length = 17;
  EXPECT_PARAMS(EDGESEQ_ERROR_LIMIT);

  /* normalize_scores: score / length^length_penalty, the EOS counted. */
  edgeseq_generate_params_init(&p);
  const size_t nplain = Best(g, s0, 7, &p, plain, 64, &plain_score);
  p.normalize_scores = 1;
  p.length_penalty = 0.5f;
  n = Best(g, s0, 7, &p, out, 64, &score);
  CHECK(SameIds(out, n, plain, nplain) && fabsf(score - plain_score / sqrtf((float)(nplain + 1))) < 1e-5f);

  /* target_prefixes: the greedy output's own first two ids give the same
   * output without their log-probabilities in the score; other ids are
   * forced first; one per source or EDGESEQ_ERROR_INPUT. */
  CHECK(p.target_prefixes == NULL && p.target_prefix_lens == NULL && p.num_target_prefixes == 0);
  edgeseq_generate_params_init(&p);
  {
    const int32_t own[] = {plain[0], plain[1]}, other[] = {5, 6};
    const int32_t* prefixes[] = {own};
    size_t prefix_lens[] = {2, 2};
    p.target_prefixes = prefixes;
    p.target_prefix_lens = prefix_lens;
    p.num_target_prefixes = 1;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(SameIds(out, n, plain, nplain) && score > plain_score && score < 0.0f);
    prefixes[0] = other;
    p.beam = 4;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(n >= 2 && out[0] == 5 && out[1] == 6);
    prefix_lens[0] = 0; /* empty: none */
    p.beam = 1;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(SameIds(out, n, plain, nplain));
    /* prefix_bias_beta: 0.99 keeps the prefix 5 6 (a soft bias, beam 1
     * too), with its biased log-probabilities in the score; 1e-7 leaves it
     * for the greedy output; [0, 1) only, and not with sampling. */
    CHECK(p.prefix_bias_beta == 0.0f);
    prefix_lens[0] = 2;
    p.prefix_bias_beta = 0.99f;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(n >= 2 && out[0] == 5 && out[1] == 6 && score < 0.0f);
    p.prefix_bias_beta = 1e-7f;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(SameIds(out, n, plain, nplain));
    p.prefix_bias_beta = 1.0f;
    EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
    p.target_prefixes = prefixes;
    p.target_prefix_lens = prefix_lens;
    p.num_target_prefixes = 1;
    p.prefix_bias_beta = 0.5f;
    p.sample = 1;
    EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
    p.num_target_prefixes = 2; /* one source */
    const int32_t* more[] = {own, own};
    p.target_prefixes = more;
    p.target_prefix_lens = prefix_lens;
    EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  }
  /* coverage_penalty: beam 4 ranks with it; with normalize_scores a greedy
   * score is the normalized one plus the (negative) penalty. */
  CHECK(p.coverage_penalty == 0.0f);
  p.normalize_scores = 1;
  {
    float base = 0;
    n = Best(g, s0, 7, &p, out, 64, &base);
    p.coverage_penalty = 0.5f;
    n = Best(g, s0, 7, &p, out, 64, &score);
    CHECK(SameIds(out, n, plain, nplain) && score <= base);
    p.beam = 4;
    CHECK(Best(g, s0, 7, &p, out, 64, &score) > 0);
  }
  edgeseq_generate_params_init(&p);
  /* replace_unknowns: the attention comes back with the ids (the caller of
   * this ids call replaces; the text calls do it themselves). */
  CHECK(p.replace_unknowns == 0);
  p.replace_unknowns = 1;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  {
    const float* w = NULL;
    size_t width = 0;
    OK(edgeseq_result_attention(r, 0, 0, &w, &width));
    CHECK(w != NULL && width == 7);
  }
  edgeseq_result_free(r);
  r = NULL;
  edgeseq_generate_params_init(&p);
  /* return_alternatives: 3 hypotheses at beam 1, the first the greedy one;
   * min_alternative_expansion_prob out of [0, 1]: EDGESEQ_ERROR_INPUT. */
  CHECK(p.return_alternatives == 0 && p.min_alternative_expansion_prob == 0.0f);
  p.return_alternatives = 1;
  p.num_hypotheses = 3;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  CHECK(edgeseq_result_hypotheses(r, 0) == 3);
  {
    const int32_t* h = NULL;
    size_t len = 0;
    OK(edgeseq_result_hypothesis(r, 0, 0, &h, &len, &score));
    CHECK(SameIds(h, len, plain, nplain) && fabsf(score - plain_score) < 1e-3f);
  }
  edgeseq_result_free(r);
  r = NULL;
  p.return_alternatives = 1;
  p.num_hypotheses = 3;
  p.min_alternative_expansion_prob = 2.0f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);

  /* return_attention: one row of 7 (the source's ids) weights per id, each
   * summing to 1; none without it. */
  CHECK(p.return_attention == 0);
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  {
    const float* w = (const float*)1;
    size_t width = 9;
    OK(edgeseq_result_attention(r, 0, 0, &w, &width));
    CHECK(w == NULL && width == 0);
  }
  edgeseq_result_free(r);
  r = NULL;
  p.return_attention = 1;
  p.beam = 4;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  {
    const int32_t* h = NULL;
    size_t len = 0, width = 0;
    const float* w = NULL;
    OK(edgeseq_result_hypothesis(r, 0, 0, &h, &len, NULL));
    OK(edgeseq_result_attention(r, 0, 0, &w, &width));
    CHECK(w != NULL && width == 7 && len > 0);
    for (size_t t = 0; w && t < len; ++t) {
      float sum = 0;
      for (size_t j = 0; j < width; ++j) sum += w[t * width + j];
      CHECK(fabsf(sum - 1.0f) < 1e-4f);
    }
    CHECK_STATUS(edgeseq_result_attention(r, 0, 5, &w, &width), EDGESEQ_ERROR_ARGUMENT);
  }
  edgeseq_result_free(r);
  r = NULL;

  /* patience: 0 is 1 (off); 2 lets beam 2 return 4 hypotheses; negative: input error. */
  edgeseq_generate_params_init(&p);
  CHECK(p.patience == 0.0f);
  p.beam = 2;
  p.num_hypotheses = 4;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);
  p.beam = 2;
  p.num_hypotheses = 4;
  p.patience = 2.0f;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  CHECK(edgeseq_result_hypotheses(r, 0) >= 2 && edgeseq_result_hypotheses(r, 0) <= 4);
  edgeseq_result_free(r);
  r = NULL;
  p.patience = -1.0f;
  EXPECT_PARAMS(EDGESEQ_ERROR_INPUT);

  /* sample with num_hypotheses 3: three samples, best score first. */
  p.sample = 1;
  p.num_hypotheses = 3;
  p.temperature = 2.0f;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  CHECK(edgeseq_result_hypotheses(r, 0) == 3);
  {
    float s0_ = 0, s1_ = 0, s2_ = 0;
    OK(edgeseq_result_hypothesis(r, 0, 0, NULL, NULL, &s0_));
    OK(edgeseq_result_hypothesis(r, 0, 1, NULL, NULL, &s1_));
    OK(edgeseq_result_hypothesis(r, 0, 2, NULL, NULL, &s2_));
    CHECK(s0_ >= s1_ && s1_ >= s2_);
  }
  edgeseq_result_free(r);
  r = NULL;
  edgeseq_generate_params_init(&p);
#undef EXPECT_PARAMS

  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

static void TestScore(void) {
  g_test = "score";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 2, 0, 12, 1, &g));
  const int32_t s0[] = {4, 19, 6, 8, 10, 12, 14}, s1[] = {5, 7, 9};
  /* Teacher forcing the greedy output (EOS included) gives its score. */
  int32_t h0[64], h1[64];
  float g0 = 0, g1 = 0;
  const size_t n0 = Best(g, s0, 7, NULL, h0, 64, &g0);
  const size_t n1 = Best(g, s1, 3, NULL, h1, 64, &g1);
  float lp = 1.0f;
  OK(edgeseq_score(g, s0, 7, h0, n0, &lp));
  CHECK(fabsf(lp - g0) < 1e-3f);
  const int32_t* srcs[] = {s0, s1};
  const size_t slens[] = {7, 3};
  const int32_t* tgts[] = {h0, h1};
  const size_t tlens[] = {n0, n1};
  float lps[2] = {1.0f, 1.0f};
  OK(edgeseq_score_batch(g, srcs, slens, tgts, tlens, 2, lps));
  CHECK(fabsf(lps[0] - g0) < 1e-3f && fabsf(lps[1] - g1) < 1e-3f);
  /* Another target scores lower than the greedy one's first step... at least it is a log-probability. */
  const int32_t other[] = {5, 6};
  OK(edgeseq_score(g, s0, 7, other, 2, &lp));
  CHECK(lp < 0.0f && isfinite(lp));
  OK(edgeseq_score(g, s0, 7, NULL, 0, &lp)); /* EOS alone */
  {
    float empty_lp = -1.0f;
    OK(edgeseq_score(g, s0, 0, other, 2, &empty_lp)); /* an empty source scores 0 */
    CHECK(empty_lp == 0.0f);
  }
  CHECK(lp <= 0.0f);
  /* Errors. */
  const int32_t bad[] = {(int32_t)info.tgt_vocab_size};
  CHECK_STATUS(edgeseq_score(g, s0, 7, bad, 1, &lp), EDGESEQ_ERROR_INPUT);
  const int32_t too_long[12] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}; /* 12 + EOS > 12 steps */
  CHECK_STATUS(edgeseq_score(g, s0, 7, too_long, 12, &lp), EDGESEQ_ERROR_LIMIT);
  CHECK_STATUS(edgeseq_score(NULL, s0, 7, other, 2, &lp), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score(g, NULL, 7, other, 2, &lp), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score(g, s0, 7, NULL, 2, &lp), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score(g, s0, 7, other, 2, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score_batch(NULL, srcs, slens, tgts, tlens, 2, lps), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score_batch(g, srcs, slens, tgts, tlens, 2, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score_batch(g, NULL, slens, tgts, tlens, 2, lps), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score_batch(g, srcs, slens, tgts, NULL, 2, lps), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_score_batch(g, srcs, slens, tgts, tlens, 0, lps), EDGESEQ_ERROR_INPUT);
  const int32_t* three_s[] = {s0, s0, s0};
  const int32_t* three_t[] = {h0, h0, h0};
  const size_t three_sl[] = {7, 7, 7}, three_tl[] = {n0, n0, n0};
  CHECK_STATUS(edgeseq_score_batch(g, three_s, three_sl, three_t, three_tl, 3, lps), EDGESEQ_ERROR_LIMIT);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

/* ---- the token callback ---- */

typedef struct {
  int32_t tokens[4][64];
  size_t count[4];
  size_t stop_after[4]; /* stop a source after this many tokens; 0: never */
  size_t calls;
  int bad_source;
} Stream;

static int OnToken(size_t source, int32_t token, void* user) {
  Stream* s = (Stream*)user;
  ++s->calls;
  if (source >= 4) {
    s->bad_source = 1;
    return 1;
  }
  if (s->count[source] < 64) s->tokens[source][s->count[source]] = token;
  ++s->count[source];
  return s->stop_after[source] && s->count[source] >= s->stop_after[source];
}

static void TestCallback(void) {
  g_test = "callback";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 2, 0, 0, 2, &g));
  const int32_t s0[] = {4, 19, 6, 8, 10, 12, 14}, s1[] = {5, 7, 9, 11};
  const int32_t* srcs[] = {s0, s1};
  const size_t lens[] = {7, 4};

  /* Streaming a batch: every token, in order, with its source's index. */
  Stream st;
  memset(&st, 0, sizeof(st));
  edgeseq_generate_params p = edgeseq_generate_params_default();
  p.on_token = OnToken;
  p.on_token_user_data = &st;
  edgeseq_result* r = NULL;
  OK(edgeseq_generate_batch(g, srcs, lens, 2, &p, &r));
  CHECK(!st.bad_source);
  int32_t full[2][64];
  size_t full_len[2];
  float full_score[2];
  for (size_t i = 0; i < 2; ++i) {
    const int32_t* ids = NULL;
    OK(edgeseq_result_hypothesis(r, i, 0, &ids, &full_len[i], &full_score[i]));
    CHECK(full_len[i] < 64 && SameIds(ids, full_len[i], st.tokens[i], st.count[i]));
    if (full_len[i]) memcpy(full[i], ids, full_len[i] * sizeof(int32_t));
  }
  edgeseq_result_free(r);
  /* Needs at least two tokens on source 0 for the stop test to mean something. */
  CHECK(full_len[0] >= 2);

  /* Stopping source 0 after its first token: it ends there (no EOS), source 1 goes on. */
  memset(&st, 0, sizeof(st));
  st.stop_after[0] = 1;
  OK(edgeseq_generate_batch(g, srcs, lens, 2, &p, &r));
  const int32_t* ids = NULL;
  size_t len = 0;
  float score = 0;
  OK(edgeseq_result_hypothesis(r, 0, 0, &ids, &len, &score));
  CHECK(len == 1 && st.count[0] == 1 && ids[0] == full[0][0]);
  CHECK(score <= 0.0f && score > full_score[0]); /* fewer log-probabilities summed */
  OK(edgeseq_result_hypothesis(r, 1, 0, &ids, &len, &score));
  CHECK(SameIds(ids, len, full[1], full_len[1]) && score == full_score[1] && st.count[1] == full_len[1]);
  edgeseq_result_free(r);

  /* Stopping everything: every source asks to stop at its first token. */
  memset(&st, 0, sizeof(st));
  st.stop_after[0] = st.stop_after[1] = 1;
  OK(edgeseq_generate_batch(g, srcs, lens, 2, &p, &r));
  CHECK(st.calls == 2);
  for (size_t i = 0; i < 2; ++i) {
    OK(edgeseq_result_hypothesis(r, i, 0, NULL, &len, NULL));
    CHECK(len == 1);
  }
  edgeseq_result_free(r);

  /* Sampling streams too; beam search takes no callback. */
  memset(&st, 0, sizeof(st));
  p.sample = 1;
  p.seed = 5;
  OK(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r));
  OK(edgeseq_result_hypothesis(r, 0, 0, &ids, &len, NULL));
  CHECK(SameIds(ids, len, st.tokens[0], st.count[0]));
  edgeseq_result_free(r);
  p.sample = 0;
  p.beam = 2;
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, lens, 1, &p, &r), EDGESEQ_ERROR_INPUT);
  CHECK(r == NULL);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

/* ---- text (the G2P model) ---- */

static void TestTextWithoutVocabularies(void) {
  g_test = "text_without_vocabularies";
  edgeseq_model* m = LoadOrDie(g_ids_path);
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 0, 0, 0, 0, &g));
  int32_t* ids = (int32_t*)1;
  size_t len = 0;
  CHECK_STATUS(edgeseq_tokenize(m, "hello", &ids, &len, NULL, NULL), EDGESEQ_ERROR_MODEL);
  CHECK(ids == NULL);
  const int32_t t[] = {4, 5};
  char* text = (char*)1;
  CHECK_STATUS(edgeseq_detokenize(m, t, 2, &text, NULL), EDGESEQ_ERROR_MODEL);
  CHECK(text == NULL);
  CHECK_STATUS(edgeseq_generate_text_with_params(g, "hello", NULL, &text), EDGESEQ_ERROR_MODEL);
  char buf[16];
  CHECK_STATUS(edgeseq_generate_text(g, "hello", NULL, buf, sizeof(buf), &len), EDGESEQ_ERROR_MODEL);
  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

static void TestG2PText(void) {
  g_test = "g2p_text";
  edgeseq_model* m = LoadOrDie(g_g2p_path);
  /* Default limits fit the model's 64 positions; "hello world" decodes word
   * by word, as the CLI prints it (tests/fixtures/g2p/expected.tsv). */
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 0, 0, 0, 0, &g));
  const char* expected = "hh eh1 l ow0 | w er1 l d";
  char buf[64];
  size_t len = 0;
  OK(edgeseq_generate_text(g, "hello world", NULL, buf, sizeof(buf), &len));
  CHECK(strcmp(buf, expected) == 0 && len == strlen(expected));
  edgeseq_options o;
  edgeseq_options_init(&o);
  OK(edgeseq_generate_text(g, "  Hello\tWORLD \n", &o, buf, sizeof(buf), &len)); /* lowercased, any spaces */
  CHECK(strcmp(buf, expected) == 0);
  /* Too small a buffer: truncated, NUL-terminated, full length reported. */
  char small[5];
  OK(edgeseq_generate_text(g, "hello world", NULL, small, sizeof(small), &len));
  CHECK(strcmp(small, "hh e") == 0 && len == strlen(expected));
  OK(edgeseq_generate_text(g, "hello world", NULL, NULL, 0, &len));
  CHECK(len == strlen(expected));
  char* text = NULL;
  OK(edgeseq_generate_text_with_params(g, "hello world", NULL, &text));
  CHECK(text && strcmp(text, expected) == 0);
  edgeseq_free(text);
  /* Errors. */
  CHECK_STATUS(edgeseq_generate_text(g, "   ", NULL, buf, sizeof(buf), &len), EDGESEQ_ERROR_INPUT);
  CHECK_STATUS(edgeseq_generate_text(NULL, "hello", NULL, buf, sizeof(buf), &len), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_text(g, NULL, NULL, buf, sizeof(buf), &len), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_text(g, "hello", NULL, NULL, 4, &len), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_text(g, "hello", NULL, buf, sizeof(buf), NULL), EDGESEQ_ERROR_ARGUMENT);
  text = (char*)1;
  CHECK_STATUS(edgeseq_generate_text_with_params(g, "", NULL, &text), EDGESEQ_ERROR_INPUT);
  CHECK(text == NULL);
  CHECK_STATUS(edgeseq_generate_text_with_params(NULL, "a", NULL, &text), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_text_with_params(g, NULL, NULL, &text), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_generate_text_with_params(g, "a", NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  char word[80]; /* longer than the generator's 64 source positions */
  memset(word, 'a', sizeof(word) - 1);
  word[sizeof(word) - 1] = '\0';
  CHECK_STATUS(edgeseq_generate_text_with_params(g, word, NULL, &text), EDGESEQ_ERROR_LIMIT);
  edgeseq_generate_params p = edgeseq_generate_params_default();
  p.beam = 2; /* the default generator's max_beam is 1 */
  CHECK_STATUS(edgeseq_generate_text_with_params(g, "hello", &p, &text), EDGESEQ_ERROR_LIMIT);

  /* The callback sees words as sources; stopping one word leaves the other. */
  Stream st;
  memset(&st, 0, sizeof(st));
  st.stop_after[0] = 2;
  p = edgeseq_generate_params_default();
  p.on_token = OnToken;
  p.on_token_user_data = &st;
  OK(edgeseq_generate_text_with_params(g, "hello world", &p, &text));
  CHECK(text && strcmp(text, "hh eh1 | w er1 l d") == 0 && st.count[0] == 2 && st.count[1] == 4);
  CHECK(!st.bad_source);
  edgeseq_free(text);
  /* More words than max_batch: batched, indices count on across batches. */
  edgeseq_generator* g1 = NULL;
  OK(edgeseq_generator_new(m, 1, 0, 0, 0, &g1));
  memset(&st, 0, sizeof(st));
  OK(edgeseq_generate_text_with_params(g1, "hello world", &p, &text));
  CHECK(text && strcmp(text, expected) == 0 && st.count[0] == 4 && st.count[1] == 4);
  edgeseq_free(text);
  edgeseq_generator_free(g1);

  /* tokenize -> generate_batch (n-best) -> result_text / detokenize. */
  int32_t* ids = NULL;
  size_t n = 0, unknown_count = 99;
  char* unknown = (char*)1;
  OK(edgeseq_tokenize(m, "Hello", &ids, &n, &unknown_count, &unknown));
  CHECK(n == 5 && unknown_count == 0 && unknown == NULL); /* no framing on this model */
  edgeseq_generator* gb = NULL;
  OK(edgeseq_generator_new(m, 2, 0, 0, 3, &gb));
  p = edgeseq_generate_params_default();
  p.beam = 3;
  p.num_hypotheses = 3;
  edgeseq_result* r = NULL;
  const int32_t* srcs[] = {ids};
  OK(edgeseq_generate_batch(gb, srcs, &n, 1, &p, &r));
  CHECK(edgeseq_result_hypotheses(r, 0) == 3);
  const char* best = NULL;
  OK(edgeseq_result_text(r, 0, 0, &best));
  CHECK(best && strcmp(best, "hh eh1 l ow0") == 0);
  for (size_t h = 0; h < 3; ++h) {
    const int32_t* hid = NULL;
    size_t hlen = 0;
    const char* htext = NULL;
    OK(edgeseq_result_hypothesis(r, 0, h, &hid, &hlen, NULL));
    OK(edgeseq_result_text(r, 0, h, &htext));
    char* detok = NULL;
    size_t detok_len = 0;
    OK(edgeseq_detokenize(m, hid, hlen, &detok, &detok_len));
    CHECK(detok && htext && strcmp(detok, htext) == 0 && detok_len == strlen(detok));
    edgeseq_free(detok);
  }
  edgeseq_result_free(r);
  edgeseq_generator_free(gb);
  edgeseq_free(ids);

  /* The default model has no source unknown id: a digit is refused, named. */
  ids = (int32_t*)1;
  CHECK_STATUS(edgeseq_tokenize(m, "h3l!o", &ids, &n, &unknown_count, &unknown), EDGESEQ_ERROR_INPUT);
  CHECK(ids == NULL && strstr(edgeseq_last_error(), "'3' is not in the model's vocabulary") != NULL);
  /* Converted with --unk 0: unknown characters read as <unk>, and are reported. */
  if (g_g2p_unk_path) {
    edgeseq_model* mu = LoadOrDie(g_g2p_unk_path);
    OK(edgeseq_tokenize(mu, "h3l!o", &ids, &n, &unknown_count, &unknown));
    CHECK(n == 5 && unknown_count == 2 && unknown != NULL);
    CHECK(ids[1] == 0 && ids[3] == 0);
    if (unknown) CHECK(strcmp(unknown, "3") == 0 && strcmp(unknown + 2, "!") == 0);
    edgeseq_free(ids);
    edgeseq_free(unknown);
    OK(edgeseq_tokenize(mu, "h3llo", &ids, &n, NULL, NULL)); /* out-params optional */
    CHECK(n == 5);
    edgeseq_free(ids);
    edgeseq_model_free(mu);
  }
  /* Detokenize edge cases and errors. */
  char* detok = NULL;
  OK(edgeseq_detokenize(m, NULL, 0, &detok, NULL));
  CHECK(detok && detok[0] == '\0');
  edgeseq_free(detok);
  const int32_t bad[] = {4, 59};
  detok = (char*)1;
  CHECK_STATUS(edgeseq_detokenize(m, bad, 2, &detok, NULL), EDGESEQ_ERROR_INPUT);
  CHECK(detok == NULL);
  const int32_t neg[] = {-3};
  CHECK_STATUS(edgeseq_detokenize(m, neg, 1, &detok, NULL), EDGESEQ_ERROR_INPUT);
  CHECK_STATUS(edgeseq_detokenize(NULL, bad, 1, &detok, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_detokenize(m, NULL, 1, &detok, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_detokenize(m, bad, 1, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_tokenize(NULL, "a", &ids, &n, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_tokenize(m, NULL, &ids, &n, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_tokenize(m, "a", NULL, &n, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_tokenize(m, "a", &ids, NULL, NULL, NULL), EDGESEQ_ERROR_ARGUMENT);

  /* Either side: encode/decode (target phones are whitespace-separated; the
   * special ids <s> </s> are dropped unless kept). */
  OK(edgeseq_encode(m, EDGESEQ_SIDE_TARGET, "hh eh1", &ids, &n));
  CHECK(n == 2);
  int32_t framed[4] = {2, 0, 0, 3};
  if (n == 2) {
    framed[1] = ids[0];
    framed[2] = ids[1];
  }
  edgeseq_free(ids);
  OK(edgeseq_decode(m, EDGESEQ_SIDE_TARGET, framed, 4, 0, &detok, NULL));
  CHECK(detok && strcmp(detok, "hh eh1") == 0);
  edgeseq_free(detok);
  OK(edgeseq_decode(m, EDGESEQ_SIDE_TARGET, framed, 4, 1, &detok, NULL));
  CHECK(detok && strcmp(detok, "<s> hh eh1 </s>") == 0);
  edgeseq_free(detok);
  OK(edgeseq_encode(m, EDGESEQ_SIDE_SOURCE, "Hello", &ids, &n));
  CHECK(n == 5);
  OK(edgeseq_decode(m, EDGESEQ_SIDE_SOURCE, ids, n, 0, &detok, NULL));
  CHECK(detok && strcmp(detok, "hello") == 0); /* the source lowercases */
  edgeseq_free(detok);
  edgeseq_free(ids);
  CHECK_STATUS(edgeseq_encode(m, (edgeseq_side)7, "a", &ids, &n), EDGESEQ_ERROR_ARGUMENT);
  CHECK_STATUS(edgeseq_encode(m, EDGESEQ_SIDE_TARGET, "a\xff", &ids, &n), EDGESEQ_ERROR_INPUT); /* not UTF-8 */
  CHECK_STATUS(edgeseq_decode(m, EDGESEQ_SIDE_SOURCE, bad, 2, 0, &detok, NULL), EDGESEQ_ERROR_INPUT);

  /* The same model from memory answers the same. */
  size_t size = 0;
  void* bytes = ReadFile(g_g2p_path, &size);
  CHECK(bytes != NULL);
  edgeseq_model* mm = NULL;
  OK(edgeseq_model_load_from_memory(bytes, size, NULL, &mm));
  edgeseq_generator* gm = NULL;
  OK(edgeseq_generator_new(mm, 0, 0, 0, 0, &gm));
  OK(edgeseq_generate_text_with_params(gm, "hello world", NULL, &text));
  CHECK(text && strcmp(text, expected) == 0);
  edgeseq_free(text);
  edgeseq_generator_free(gm);
  edgeseq_model_free(mm);
  free(bytes); /* after the last generator */

  edgeseq_generator_free(g);
  edgeseq_model_free(m);
}

/* A log-mel model (tests/fixtures/whisper/tiny.pt, converted by CMake) and
 * its two sources of features (features.f32: frames × n_mels floats each). */
static void TestFeatures(const char* model_path, const char* features_path) {
  g_test = "features";
  edgeseq_model* m = LoadOrDie(model_path);
  edgeseq_info info;
  OK(edgeseq_model_get_info(m, &info));
  CHECK(info.n_mels == 80 && info.frames == 32 && info.max_target_positions == 12 && info.src_vocab_size == 1);
  size_t bytes = 0;
  float* all = (float*)ReadFile(features_path, &bytes);
  CHECK(all != NULL && bytes == 2 * info.frames * info.n_mels * sizeof(float));
  if (!all) return;
  const float* features[] = {all, all + info.frames * info.n_mels};
  edgeseq_generator* g = NULL;
  OK(edgeseq_generator_new(m, 2, 0, 0, 1, &g));
  edgeseq_generate_params p;
  edgeseq_generate_params_init(&p);
  p.max_length = 3;
  p.min_length = 3; /* no end token: the score is the 3 tokens' */
  edgeseq_result* r = NULL;
  OK(edgeseq_generate_features(g, features, 2, &p, &r));
  CHECK(edgeseq_result_sources(r) == 2);
  const int32_t* ids = NULL;
  size_t len = 0;
  float score = 0;
  OK(edgeseq_result_hypothesis(r, 1, 0, &ids, &len, &score));
  CHECK(len == 3);
  for (size_t i = 0; i < len; ++i) CHECK(ids[i] >= 0 && ids[i] < 60);
  /* Teacher forcing those ids adds the end token's log-probability. */
  const int32_t* targets[] = {ids};
  const size_t lens[] = {len};
  float lp = 1.0f;
  OK(edgeseq_score_features(g, features + 1, targets, lens, 1, &lp));
  CHECK(isfinite(lp) && lp < score + 1e-4f);
  edgeseq_result_free(r);
  /* Ids for a log-mel model, features for a token model, NULL features. */
  const int32_t src[] = {1, 2};
  const int32_t* srcs[] = {src};
  const size_t slens[] = {2};
  r = NULL;
  CHECK_STATUS(edgeseq_generate_batch(g, srcs, slens, 1, &p, &r), EDGESEQ_ERROR_INPUT);
  CHECK(r == NULL);
  CHECK_STATUS(edgeseq_generate_features(g, NULL, 1, &p, &r), EDGESEQ_ERROR_INPUT);
  {
    const float* three[] = {features[0], features[1], features[0]};
    CHECK_STATUS(edgeseq_generate_features(g, three, 3, &p, &r), EDGESEQ_ERROR_LIMIT);
  }
  edgeseq_generator_free(g);
  edgeseq_model* ids_model = LoadOrDie(g_ids_path);
  OK(edgeseq_generator_new(ids_model, 1, 0, 0, 1, &g));
  CHECK_STATUS(edgeseq_generate_features(g, features, 1, &p, &r), EDGESEQ_ERROR_INPUT);
  edgeseq_generator_free(g);
  edgeseq_model_free(ids_model);
  free(all);
  edgeseq_model_free(m);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: runtime_c_api_test IDS_MODEL.esq [G2P_MODEL.esq [WHISPER_MODEL.esq FEATURES.f32 [G2P_UNK_MODEL.esq]]]\n");
    return 2;
  }
  g_ids_path = argv[1];
  g_g2p_path = argc > 2 && argv[2][0] ? argv[2] : NULL;
  g_g2p_unk_path = argc > 5 && argv[5][0] ? argv[5] : NULL;
  TestVersionAndErrors();
  TestLoad();
  TestLoadFromMemory();
  TestInfo();
  TestGeneratorLimits();
  TestGenerateBatch();
  TestGenerateErrors();
  TestCt2Options();
  TestScore();
  TestCallback();
  TestTextWithoutVocabularies();
  if (argc > 4) TestFeatures(argv[3], argv[4]);
  if (g_g2p_path) {
    TestG2PText();
  } else {
    printf("no G2P model given: text tests skipped\n");
  }
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  printf("c_api_test: all %d checks passed\n", g_checks);
  return 0;
}
