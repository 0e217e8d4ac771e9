#include "tools/inspect.h"

#include <map>
#include <ostream>
#include <sstream>

#include "loaders/esq_reader.h"

namespace edgeseq::tools {
namespace {

using namespace loaders;

const char* PositionName(PositionKind k) {
  switch (k) {
    case PositionKind::kNone: return "none";
    case PositionKind::kSinusoidalInterleaved: return "sinusoidal (interleaved sin/cos)";
    case PositionKind::kSinusoidalConcat: return "sinusoidal (sin half, cos half)";
    case PositionKind::kLearned: return "learned";
  }
  return "?";
}

const char* ActivationName(ActivationKind k) {
  switch (k) {
    case ActivationKind::kReLU: return "relu";
    case ActivationKind::kGelu: return "gelu";
    case ActivationKind::kGeluTanh: return "gelu (tanh approximation)";
    case ActivationKind::kSiLU: return "silu";
  }
  return "?";
}

std::string Id(int32_t id) { return id < 0 ? "-" : std::to_string(id); }

std::string Shape(const TensorInfo& t) {
  std::string s = "[";
  for (uint32_t i = 0; i < t.ndim; ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

std::string Bytes(uint64_t n) {
  std::ostringstream s;
  if (n >= (1u << 20)) {
    s.precision(1);
    s << std::fixed << static_cast<double>(n) / (1 << 20) << " MiB";
  } else if (n >= 1024) {
    s.precision(1);
    s << std::fixed << static_cast<double>(n) / 1024 << " KiB";
  } else {
    s << n << " B";
  }
  return s.str();
}

}  // namespace

int Inspect(const std::string& path, bool verify, std::ostream& out, std::ostream& err) {
  try {
    const EsqFile f = EsqFile::Open(path);
    const ModelConfig& c = f.config();
    out << "file: " << path << " (" << Bytes(f.file_size()) << ", format " << f.major_version() << "."
        << f.minor_version() << ")\n";
    out << "model: encoder-decoder transformer\n";
    out << "  d_model " << c.d_model << ", heads " << c.num_heads << ", encoder layers " << c.encoder_layers
        << ", decoder layers " << c.decoder_layers << ", ffn " << c.ffn_dim << "\n";
    out << "  norm: " << (c.norm_placement == NormPlacement::kPre ? "pre-LN" : "post-LN") << ", "
        << (c.norm_type == NormType::kRMSNorm ? "RMSNorm" : "layer norm") << ", eps " << c.norm_eps
        << "; final norm: encoder " << (c.encoder_final_norm ? "yes" : "no") << ", decoder "
        << (c.decoder_final_norm ? "yes" : "no");
    if (c.encoder_embed_norm || c.decoder_embed_norm) {
      out << "; embedding norm: encoder " << (c.encoder_embed_norm ? "yes" : "no") << ", decoder "
          << (c.decoder_embed_norm ? "yes" : "no");
    }
    out << "\n";
    out << "  activation " << ActivationName(c.activation) << "; positions " << PositionName(c.position_kind);
    if (c.position_kind == PositionKind::kSinusoidalInterleaved || c.position_kind == PositionKind::kSinusoidalConcat) {
      out << ", frequencies "
          << (c.position_frequencies == PositionFrequencies::kTensor2Tensor ? "10000^(-i/(d/2-1))" : "10000^(-2i/d)")
          << ", first position " << c.position_offset;
    }
    if (c.position_kind == PositionKind::kLearned) {
      out << (c.shared_positions ? ", one table for encoder and decoder" : ", encoder and decoder tables");
    }
    out << ", max " << c.max_positions;
    if (c.decoder_max_positions) out << " (decoder " << c.decoder_max_positions << ")";
    out << "; embedding scale " << c.embedding_scale << "\n";
    // Version 1.4: a log-mel encoder (Whisper).
    if (c.encoder_input == EncoderInput::kLogMel) {
      out << "  encoder input: log-mel features, " << c.n_mels << " mels, " << 2 * uint64_t{c.max_positions}
          << " frames per source (conv1d + GELU, conv1d stride 2 + GELU)\n";
    }
    // Version-1.3 strategies, only when a file uses them (older files print as before).
    if (c.ffn_kind == FfnKind::kGated) out << "  feed-forward: gated, fc2(act(fc1(x)) * fc1_linear(x))\n";
    if (c.relative_attention == RelativeAttention::kT5Buckets) {
      out << "  relative attention: T5 buckets, " << c.relative_num_buckets << " buckets, max distance "
          << c.relative_max_distance << " (every self-attention layer; none in cross-attention)\n";
    }
    out << "  embeddings: " << (c.shared_embeddings ? "shared source/target" : "separate")
        << "; output projection: " << (c.tied_output ? "tied to the target embedding" : "separate") << "\n";
    out << "  alignment (returned attention): "
        << (c.alignment_heads == 1 ? std::string("the first head")
            : c.alignment_heads ? "the first " + std::to_string(c.alignment_heads) + " heads"
                                : std::string("all heads"))
        << " of the "
        << (c.alignment_layer_back ? std::to_string(c.alignment_layer_back) + " before the last" : std::string("last"))
        << " decoder layer\n";
    out << "  ids: pad " << Id(c.pad_id) << ", bos " << Id(c.bos_id) << ", eos " << Id(c.eos_id)
        << ", decoder start " << Id(c.decoder_start_id) << "; unk: source " << Id(c.src_unk_id) << ", target "
        << Id(c.tgt_unk_id);
    if (c.forced_bos_id >= 0) out << "; forced first token " << c.forced_bos_id;
    if (c.never_generate_pad) out << "; the pad is never generated";
    out << "\n";
    auto ids = [](const std::vector<int32_t>& v) {
      std::string s;
      for (int32_t id : v) s += (s.empty() ? "" : " ") + std::to_string(id);
      return s.empty() ? std::string("none") : s;
    };
    out << "  source text: prefix " << ids(c.src_prefix) << ", suffix " << ids(c.src_suffix) << ", normalization "
        << (c.src_normalization == TextNormalization::kLowercaseAscii ? "lowercase (ASCII)"
            : c.src_normalization == TextNormalization::kLowercaseJoin
                ? "lowercase (ASCII), apostrophes and hyphens removed"
                : "none")
        << " (text mode; --ids are verbatim)\n";
    auto vocab = [&](const char* which, const Vocabulary* v, uint32_t size, TokenizerKind kind) {
      out << "  " << which << " vocabulary: " << size << " ids";
      if (v) {
        out << ", tokens stored";
        if (f.has_tokenizer()) out << " (" << TokenizerKindName(kind) << ")";
      } else {
        out << ", no tokens stored (ids only)";
      }
      out << "\n";
    };
    out << "vocabularies:\n";
    vocab("source", f.src_vocab(), c.src_vocab_size, f.src_tokenizer());
    vocab("target", f.tgt_vocab(), c.tgt_vocab_size, f.tgt_tokenizer());
    if (const TextTokens* t = f.text_tokens()) {
      out << "  special tokens matched whole in text: " << t->src_special.size() << " source, " << t->tgt_special.size()
          << " target\n";
      if (!t->languages.empty()) {
        const char* src_place[] = {"none", "before the source's tokens", "after the source's suffix"};
        out << "  languages (" << t->languages.size() << "; --source-lang: "
            << src_place[static_cast<int>(t->source_place)] << ", --target-lang: "
            << (t->target_place == TargetLanguagePlace::kFirstToken ? "the first target token" : "none") << "):";
        for (const TextTokens::Language& l : t->languages) {
          const Vocabulary* v = l.src_id >= 0 ? f.src_vocab() : f.tgt_vocab();
          out << " " << v->tokens[static_cast<size_t>(l.src_id >= 0 ? l.src_id : l.tgt_id)];
        }
        out << "\n";
      }
    }

    out << "tensors:\n";
    size_t width = 4;
    for (const TensorInfo& t : f.tensors()) width = std::max(width, t.name.size());
    out << "  " << std::string("name") << std::string(width - 4, ' ') << "  dtype  shape                 bytes\n";
    std::map<std::string, std::pair<size_t, uint64_t>> by_dtype;
    uint64_t total = 0;
    size_t unknown = 0;
    for (const TensorInfo& t : f.tensors()) {
      const uint64_t bytes = t.data_size + t.scales_size;
      const std::string shape = Shape(t);
      out << "  " << t.name << std::string(width - t.name.size(), ' ') << "  " << DTypeName(t.dtype)
          << std::string(7 - std::string(DTypeName(t.dtype)).size(), ' ') << shape
          << std::string(shape.size() < 20 ? 20 - shape.size() : 1, ' ') << "  " << bytes;
      if (ExpectedShape(t.name, c, path).empty()) {
        out << "  (not a known role)";
        ++unknown;
      }
      out << "\n";
      auto& agg = by_dtype[DTypeName(t.dtype)];
      agg.first++;
      agg.second += bytes;
      total += bytes;
    }
    out << "total: " << f.tensors().size() << " tensors, " << total << " bytes (" << Bytes(total) << ")";
    for (const auto& [name, agg] : by_dtype) out << "; " << name << " " << agg.first << " (" << Bytes(agg.second) << ")";
    out << "\n";
    if (unknown) out << "note: " << unknown << " tensor(s) with names the runtime does not use\n";
    if (verify) {
      f.VerifyChecksums();
      out << "checksums: all " << f.tensors().size() << " tensors verified\n";
    } else {
      out << "checksums: metadata verified; tensor data not checked (use --verify)\n";
    }
    return 0;
  } catch (const EsqError& e) {
    err << "edgeseq inspect: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace edgeseq::tools
