/* Minimal use of the C API (edgeseq/edgeseq.h): load a model, decode one
 * source given as token ids, streaming the tokens as they are chosen; or,
 * for a model with vocabularies, a text.
 *   embed_c MODEL.esq ID [ID...]
 *   embed_c MODEL.esq --text "hello world" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edgeseq/edgeseq.h>

static int PrintToken(size_t source, int32_t token, void* user_data) {
  (void)source;
  (void)user_data;
  printf("%d ", token);
  fflush(stdout);
  return 0; /* non-zero would stop this source here */
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: embed_c MODEL.esq ID [ID...] | embed_c MODEL.esq --text TEXT\n");
    return 2;
  }
  if (edgeseq_version_number() / 100 != EDGESEQ_VERSION_NUMBER / 100) {
    fprintf(stderr, "embed_c: built for edgeseq %d.%d, running with %s\n", EDGESEQ_VERSION_MAJOR,
            EDGESEQ_VERSION_MINOR, edgeseq_version());
  }
  edgeseq_model* model = NULL;
  edgeseq_generator* gen = NULL;
  /* Limits 0: the defaults, fitted to the model's positions. */
  if (edgeseq_model_load(argv[1], &model) != EDGESEQ_OK ||
      edgeseq_generator_new(model, 1, 0, 0, 1, &gen) != EDGESEQ_OK) {
    fprintf(stderr, "embed_c: %s\n", edgeseq_last_error());
    edgeseq_model_free(model);
    return 1;
  }
  int rc = 0;
  if (strcmp(argv[2], "--text") == 0 && argc > 3) {
    char* text = NULL; /* ours to free, with edgeseq_free */
    if (edgeseq_generate_text_with_params(gen, argv[3], NULL, &text) != EDGESEQ_OK) {
      fprintf(stderr, "embed_c: %s\n", edgeseq_last_error());
      rc = 1;
    } else {
      printf("%s\n", text);
    }
    edgeseq_free(text);
  } else {
    int32_t source[256];
    size_t n = 0;
    for (int i = 2; i < argc && n < 256; ++i) source[n++] = (int32_t)atoi(argv[i]);
    const int32_t* sources[1] = {source};
    edgeseq_generate_params params = edgeseq_generate_params_default();
    params.on_token = PrintToken;
    edgeseq_result* result = NULL; /* ours to free, with edgeseq_result_free */
    float score = 0;
    if (edgeseq_generate_batch(gen, sources, &n, 1, &params, &result) != EDGESEQ_OK ||
        edgeseq_result_hypothesis(result, 0, 0, NULL, NULL, &score) != EDGESEQ_OK) {
      fprintf(stderr, "embed_c: %s\n", edgeseq_last_error());
      rc = 1;
    } else {
      printf("\nscore %g\n", score);
    }
    edgeseq_result_free(result);
  }
  edgeseq_generator_free(gen);
  edgeseq_model_free(model);
  return rc;
}
