#include "tools/tokenize.h"

#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loaders/esq_error.h"
#include "loaders/esq_reader.h"
#include "runtime/error.h"
#include "runtime/text_codec.h"

namespace edgeseq::tools {
namespace {

// Both subcommands: open the model (its tokenizer and vocabularies only; no
// weights are read), then transform line by line, stopping at a bad one.
template <typename Line>
int EachLine(const char* cmd, const TokenizeCliOptions& o, std::istream& in, std::ostream& err, Line line_fn) {
  std::optional<loaders::EsqFile> file;
  std::optional<runtime::TextCodec> codec;
  int32_t language = -1;
  try {
    file.emplace(loaders::EsqFile::Open(o.model));
    codec.emplace(*file, !o.target);
    if (!o.source_language.empty()) {
      const loaders::TextTokens* t = file->text_tokens();
      if (o.target || !t || t->source_place == loaders::SourceLanguagePlace::kNone) {
        throw runtime::Error(runtime::ErrorKind::kInput, "--source-lang: the model does not take a source language" +
                                                             std::string(o.target ? " on the target side" : ""));
      }
      language = codec->LanguageId(o.source_language);
    }
  } catch (const std::exception& e) {
    err << "edgeseq " << cmd << ": " << e.what() << "\n";
    return 1;
  }
  std::string line;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    try {
      line_fn(*file, *codec, line, line_no, language);
    } catch (const runtime::Error& e) {
      err << "edgeseq " << cmd << ": line " << line_no << ": " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int RunTokenize(const TokenizeCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
  return EachLine("tokenize", o, in, err,
                  [&](const loaders::EsqFile& file, const runtime::TextCodec& codec, const std::string& line,
                      size_t line_no, int32_t language) {
                    std::vector<std::string> unknown;
                    const std::vector<int32_t> ids = codec.Encode(line, language, &unknown);
                    for (const std::string& tok : unknown) {
                      err << "edgeseq tokenize: warning: line " << line_no << ": '" << tok
                          << "' is not in the model's vocabulary; read as the unknown token (id " << codec.unk_id()
                          << ")\n";
                    }
                    if (!o.pieces) {
                      out << runtime::FormatIds(ids) << "\n";
                      return;
                    }
                    const loaders::Vocabulary* v = o.target ? file.tgt_vocab() : file.src_vocab();
                    for (size_t i = 0; i < ids.size(); ++i) {
                      out << (i ? " " : "") << v->tokens[static_cast<size_t>(ids[i])];
                    }
                    out << "\n";
                  });
}

int RunDetokenize(const TokenizeCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
  return EachLine("detokenize", o, in, err,
                  [&](const loaders::EsqFile& file, const runtime::TextCodec& codec, const std::string& line,
                      size_t, int32_t) {
                    const loaders::ModelConfig& c = file.config();
                    const auto ids = runtime::ParseIds(line, o.target ? c.tgt_vocab_size : c.src_vocab_size);
                    out << codec.Decode(ids, o.keep_special) << "\n";
                  });
}

}  // namespace edgeseq::tools
