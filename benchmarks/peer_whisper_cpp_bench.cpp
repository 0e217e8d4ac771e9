// whisper.cpp's side of the comparison (benchmarks/peer_whisper_cpp.sh builds
// this against a whisper.cpp build outside the repository; it is not part of
// edgeseq's CMake build). The same work as benchmarks/whisper_peer_bench.cc,
// through whisper.h's public API:
//   - the audio file read once by whisper.cpp's own reader (examples'
//     read_audio_data: 16 kHz mono; not timed);
//   - per repetition: whisper_pcm_to_mel ("mel": the whole file plus its 30 s
//     of padding), whisper_encode at offset 0 ("enc": the conv stem, the
//     encoder on the first 3000-frame window and the cross-attention K/V, as
//     edgeseq's encoder), then exactly STEPS whisper_decode calls of one token
//     each from <|startoftranscript|> alone, each followed by the argmax of
//     its logits over the whole vocabulary, which becomes the next token
//     ("dec", per token). No sampling rules: whisper_full's logit filters
//     would add work edgeseq's side does not do, and random weights would end
//     a real transcription early.
// One untimed repetition first, then REPS timed ones; prints the medians and
// this process's peak RSS in the format the edgeseq side uses:
//   mel_ms X enc_ms X dec_ms_per_token X total_ms X peak_rss_mb X anon_mb X file_mb X
// (anon_mb / file_mb: resident anonymous and file-backed memory at the end,
// before the model is freed: where the peak RSS goes)
// and, on stderr, the first 8 greedy tokens (f32 models from the same
// checkpoint should agree with edgeseq's: evidence that both run one model).
// whisper_context_default_params() as whisper-cli uses it (flash attention
// on), GPU off (a CPU-only build has none anyway).
//
//   peer_whisper_cpp_bench MODEL.bin AUDIO THREADS [REPS=3] [STEPS=50]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "common-whisper.h"
#include "whisper.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

// This process's resident memory now, from /proc/self/status (kB lines):
// RssAnon (heap, workspaces, packed weights) and RssFile (mapped model file
// pages, code), in MB; -1 where not Linux.
double RssMb(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  double mb = -1;
  const size_t n = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, n) == 0 && line[n] == ':') mb = atof(line + n + 1) / 1024.0;
  }
  fclose(f);
  return mb;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void Quiet(enum ggml_log_level, const char*, void*) {}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: peer_whisper_cpp_bench MODEL.bin AUDIO THREADS [REPS=3] [STEPS=50]\n");
    return 2;
  }
  const int threads = atoi(argv[3]);
  const int reps = argc > 4 ? atoi(argv[4]) : 3;
  const int steps = argc > 5 ? atoi(argv[5]) : 50;
  if (threads < 1 || reps < 1 || steps < 1) {
    fprintf(stderr, "peer_whisper_cpp_bench: THREADS, REPS and STEPS must be positive integers\n");
    return 2;
  }
  if (!getenv("VERBOSE")) whisper_log_set(Quiet, nullptr);
  whisper_context_params cp = whisper_context_default_params();
  cp.use_gpu = false;
  whisper_context* ctx = whisper_init_from_file_with_params(argv[1], cp);
  if (!ctx) {
    fprintf(stderr, "peer_whisper_cpp_bench: cannot load %s\n", argv[1]);
    return 1;
  }
  std::vector<float> pcm;
  std::vector<std::vector<float>> stereo;
  if (!read_audio_data(argv[2], pcm, stereo, false)) {
    fprintf(stderr, "peer_whisper_cpp_bench: cannot read %s\n", argv[2]);
    return 1;
  }
  const int n_vocab = whisper_n_vocab(ctx);
  std::vector<double> mel_ms, enc_ms, dec_ms, total_ms;
  std::vector<whisper_token> first;  // the warm-up's first tokens (the script compares them with edgeseq's)
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = Clock::now();
    if (whisper_pcm_to_mel(ctx, pcm.data(), static_cast<int>(pcm.size()), threads) != 0) return 1;
    const auto t1 = Clock::now();
    if (whisper_encode(ctx, 0, threads) != 0) return 1;
    const auto t2 = Clock::now();
    whisper_token token = whisper_token_sot(ctx);
    for (int i = 0; i < steps; ++i) {
      if (whisper_decode(ctx, &token, 1, i, threads) != 0) {
        fprintf(stderr, "peer_whisper_cpp_bench: whisper_decode failed at step %d\n", i);
        return 1;
      }
      const float* logits = whisper_get_logits(ctx);
      token = static_cast<whisper_token>(std::max_element(logits, logits + n_vocab) - logits);
      if (r == 0 && i < 8) first.push_back(token);
    }
    const auto t3 = Clock::now();
    if (r == 0) continue;  // warm-up
    mel_ms.push_back(Ms(t0, t1));
    enc_ms.push_back(Ms(t1, t2));
    dec_ms.push_back(Ms(t2, t3) / steps);
    total_ms.push_back(Ms(t0, t3));
  }
  const double anon = RssMb("RssAnon"), file = RssMb("RssFile");
  whisper_free(ctx);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  fprintf(stderr, "first tokens:");
  for (whisper_token t : first) fprintf(stderr, " %d", t);
  fprintf(stderr, "\n");
  printf("mel_ms %.2f enc_ms %.2f dec_ms_per_token %.3f total_ms %.2f peak_rss_mb %.1f anon_mb %.1f file_mb %.1f\n",
         Median(mel_ms), Median(enc_ms), Median(dec_ms), Median(total_ms), ru.ru_maxrss / 1024.0, anon, file);
  return 0;
}
