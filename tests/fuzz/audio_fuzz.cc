// libFuzzer target: arbitrary bytes as an audio file (issue 20), through
// libsndfile's virtual I/O from memory, the channel mix and the resampler
// (runtime/audio/decode.h), then, for short results, the log-mel. Decoding
// may only throw Error(kInput); a decoded result always has the length rule's
// size and finite samples; never a crash, a leak or another exception.
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <vector>

#include "runtime/audio/decode.h"
#include "runtime/audio/log_mel.h"
#include "runtime/error.h"

using edgeseq::runtime::Error;
using edgeseq::runtime::ErrorKind;
namespace audio = edgeseq::runtime::audio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<float> pcm;
  try {
    pcm = audio::DecodeAudioMemory(data, size, "fuzz");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kInput) abort();
    return 0;
  }
  if (pcm.empty()) abort();  // "no audio samples" is an error
  for (float v : pcm) {
    if (!isfinite(v)) abort();
  }
  // Short results only, without transcribe's 30 s of padding (the same code,
  // a twentieth of the frames): the fuzzer's time goes to the decoders.
  if (pcm.size() <= 2 * 16000) {
    const size_t padding = pcm.size() > 200 ? 0 : 1000;  // the STFT needs more than 200 samples
    const audio::LogMel mel = audio::LogMelSpectrogram(pcm.data(), pcm.size(), 80, padding);
    for (float v : mel.values) {
      if (!isfinite(v)) abort();
    }
  }
  return 0;
}
