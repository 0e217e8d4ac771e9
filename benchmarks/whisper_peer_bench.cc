// edgeseq's side of the whisper.cpp comparison (benchmarks/peer_whisper_cpp.sh):
// one process does what benchmarks/peer_whisper_cpp_bench.cpp does with
// whisper.cpp's library, so that both are timed on the same work:
//   - the audio file decoded once to 16 kHz mono (not timed);
//   - per repetition: the log-mel of the whole file with 30 s of padding and
//     the first 3000-frame window made time-major, as edgeseq transcribe does
//     ("mel"); the encoder on that window, cross-attention K/V included
//     ("enc", Generator::encode_seconds); exactly STEPS greedy decoder steps
//     of one token each from <|startoftranscript|> alone, the output
//     projection over the whole vocabulary included ("dec", per token: the
//     rest of the GenerateFromFeatures call divided by STEPS). No Whisper
//     logit rules (whisper.cpp's side has none either): the random weights
//     would stop a real transcription early, and a step's cost does not
//     depend on the token it picks.
// One untimed repetition first (page cache, first-touch of the workspace),
// then REPS timed ones; prints their medians and this process's peak RSS:
//   mel_ms X enc_ms X dec_ms_per_token X total_ms X peak_rss_mb X anon_mb X file_mb X
// (anon_mb / file_mb: resident anonymous and file-backed memory at the end,
// before the model is freed: where the peak RSS goes)
// and, on stderr, the warm-up's first 8 greedy tokens (compared with
// whisper.cpp's by the script).
//
//   whisper_peer_bench MODEL.esq AUDIO THREADS [REPS=3] [STEPS=50]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "loaders/esq_format.h"
#include "ops/threads.h"
#include "runtime/audio/decode.h"
#include "runtime/audio/log_mel.h"
#include "runtime/generator.h"

namespace {

using namespace edgeseq;
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

int Run(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: whisper_peer_bench MODEL.esq AUDIO THREADS [REPS=3] [STEPS=50]\n");
    return 2;
  }
  const int threads = atoi(argv[3]);
  const int reps = argc > 4 ? atoi(argv[4]) : 3;
  const int steps = argc > 5 ? atoi(argv[5]) : 50;
  if (threads < 1 || reps < 1 || steps < 1) {
    fprintf(stderr, "whisper_peer_bench: THREADS, REPS and STEPS must be positive integers\n");
    return 2;
  }
  ops::SetThreads(threads);
  ops::ApplyThreads();
  const auto model = runtime::Model::Load(argv[1]);
  if (!model->log_mel_input()) {
    fprintf(stderr, "whisper_peer_bench: %s is not a log-mel (Whisper) model\n", argv[1]);
    return 1;
  }
  // The limits edgeseq transcribe uses (max_target: the decoder's positions).
  runtime::Limits limits;
  limits.max_batch = 1;
  limits.max_target = loaders::DecoderPositions(model->config());
  if (static_cast<size_t>(steps) > limits.max_target) {
    fprintf(stderr, "whisper_peer_bench: STEPS over the model's %zu decoder positions\n", limits.max_target);
    return 2;
  }
  runtime::Generator gen(model, limits);
  const std::vector<float> pcm = runtime::audio::DecodeAudioFile(argv[2]);

  runtime::GenerateOptions o;
  o.max_length = o.min_length = static_cast<size_t>(steps);
  const size_t frames = model->frames(), mels = model->config().n_mels;
  std::vector<double> mel_ms, enc_ms, dec_ms, total_ms;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = Clock::now();
    const runtime::audio::LogMel mel = runtime::audio::LogMelSpectrogram(pcm.data(), pcm.size(), mels);
    std::vector<std::vector<float>> features(1, std::vector<float>(frames * mels, 0.0f));
    for (size_t m = 0; m < mels; ++m) {
      for (size_t t = 0; t < std::min(frames, mel.frames); ++t) features[0][t * mels + m] = mel.values[m * mel.frames + t];
    }
    const auto t1 = Clock::now();
    const double e0 = gen.encode_seconds();
    const auto out = gen.GenerateFromFeatures(features, o);
    const auto t2 = Clock::now();
    if (out.at(0).at(0).ids.size() != static_cast<size_t>(steps)) {
      fprintf(stderr, "whisper_peer_bench: %zu tokens, not %d\n", out[0][0].ids.size(), steps);
      return 1;
    }
    if (r == 0) {  // warm-up
      fprintf(stderr, "first tokens:");
      for (size_t i = 0; i < std::min<size_t>(8, out[0][0].ids.size()); ++i) fprintf(stderr, " %d", out[0][0].ids[i]);
      fprintf(stderr, "\n");
      continue;
    }
    const double enc = (gen.encode_seconds() - e0) * 1e3;
    mel_ms.push_back(Ms(t0, t1));
    enc_ms.push_back(enc);
    dec_ms.push_back((Ms(t1, t2) - enc) / steps);
    total_ms.push_back(Ms(t0, t2));
  }
  const double anon = RssMb("RssAnon"), file = RssMb("RssFile");
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  printf("mel_ms %.2f enc_ms %.2f dec_ms_per_token %.3f total_ms %.2f peak_rss_mb %.1f anon_mb %.1f file_mb %.1f\n",
         Median(mel_ms), Median(enc_ms), Median(dec_ms), Median(total_ms), ru.ru_maxrss / 1024.0, anon, file);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "whisper_peer_bench: %s\n", e.what());
    return 1;
  }
}
