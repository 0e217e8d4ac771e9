#include "tools/transcribe.h"

#include <ostream>

#include "loaders/esq_format.h"
#include "ops/threads.h"
#include "runtime/error.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "runtime/whisper_transcribe.h"

namespace edgeseq::tools {

int RunTranscribe(const TranscribeCliOptions& o, std::ostream& out, std::ostream& err) {
  runtime::TranscribeOptions t;
  t.language = o.language;
  if (o.task == "transcribe") {
    t.task = runtime::WhisperTask::kTranscribe;
  } else if (o.task == "translate") {
    t.task = runtime::WhisperTask::kTranslate;
  } else {
    err << "edgeseq transcribe: --task must be transcribe or translate, not '" << o.task << "'\n";
    return 1;
  }
  try {
    ops::SetThreads(o.threads);
    const auto model = runtime::Model::Load(o.model);
    runtime::Limits limits;
    limits.max_batch = 1;
    limits.max_target = loaders::DecoderPositions(model->config());
    runtime::Generator gen(model, limits);
    // The whole audio, without timestamps, greedy at temperature 0 (no fallback here yet).
    t.temperatures = {0.0f};
    const runtime::WhisperTranscriber transcriber(model);
    const runtime::Transcript r = transcriber.TranscribeFile(gen, o.audio, t);
    const size_t first = r.text.find_first_not_of(" \t\n\r");
    const size_t last = r.text.find_last_not_of(" \t\n\r");
    out << (first == std::string::npos ? std::string() : r.text.substr(first, last - first + 1)) << "\n";
    return 0;
  } catch (const runtime::Error& e) {
    err << "edgeseq transcribe: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "edgeseq transcribe: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace edgeseq::tools
