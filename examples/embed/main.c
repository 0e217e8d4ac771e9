/* Minimal use of the C API: load a model, decode one source given as token
 * ids on the command line.
 *   embed_c MODEL.esq ID [ID...] */
#include <stdio.h>
#include <stdlib.h>

#include <edgeseq/edgeseq.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: embed_c MODEL.esq ID [ID...]\n");
    return 2;
  }
  edgeseq_model* model = NULL;
  edgeseq_generator* gen = NULL;
  size_t positions = 0;
  if (edgeseq_model_load(argv[1], &model) != EDGESEQ_OK ||
      edgeseq_model_info(model, NULL, NULL, &positions) != EDGESEQ_OK ||
      edgeseq_generator_new(model, 1, positions < 256 ? positions : 256, positions < 64 ? positions : 64, 1,
                            &gen) != EDGESEQ_OK) {
    fprintf(stderr, "embed_c: %s\n", edgeseq_last_error());
    edgeseq_model_free(model);
    return 1;
  }
  int32_t source[256];
  size_t n = 0;
  for (int i = 2; i < argc && n < 256; ++i) source[n++] = (int32_t)atoi(argv[i]);
  edgeseq_options options;
  edgeseq_options_init(&options);
  options.max_length = positions < 64 ? positions : 64;
  int32_t out[64];
  size_t len = 0;
  float score = 0;
  const edgeseq_status s = edgeseq_generate(gen, source, n, &options, out, 64, &len, &score);
  if (s != EDGESEQ_OK) {
    fprintf(stderr, "embed_c: %s\n", edgeseq_last_error());
  } else {
    for (size_t i = 0; i < len; ++i) printf("%d ", out[i]);
    printf("\nscore %g\n", score);
  }
  edgeseq_generator_free(gen);
  edgeseq_model_free(model);
  return s == EDGESEQ_OK ? 0 : 1;
}
