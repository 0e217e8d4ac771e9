// edgeseq-convert: PyTorch checkpoint (zip or safetensors) → .esq model.
// Exit status: 0 converted, 2 bad input or usage (one line on stderr), and
// no output file is left behind on failure.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "loaders/checkpoint_error.h"
#include "loaders/esq_error.h"
#include "tools/convert.h"
#include "tools/convert_conventions.h"
#include <optional>

int main(int argc, char** argv) {
  edgeseq::tools::ConvertOptions o;
  CLI::App app{"edgeseq-convert: turn a PyTorch checkpoint into an .esq model file.\n"
               "Reads torch.save zip files (state dict, whole pickled model, or a checkpoint dict) and\n"
               ".safetensors without Python; never executes anything from the file."};
  app.add_option("checkpoint", o.input, "Checkpoint (.pth/.pt zip, or .safetensors)")->required();
  app.add_option("-o,--output", o.output, "Output model file (.esq); written atomically")->required();
  app.add_option("--arch", o.arch, "Built-in tensor-name layout: torch-transformer (PyTorch's nn.Transformer tutorial)")
      ->capture_default_str();
  app.add_option("--map", o.map_file, "JSON mapping from checkpoint names to roles, instead of --arch (docs/CONVERTER.md)");
  app.add_option("--key", o.key, "Entry of a checkpoint dict that holds the state dict (default: the one that holds tensors)");
  app.add_option("--heads", o.heads, "Number of attention heads (required: a state dict does not record it)")->required();
  app.add_flag("--norm-first", o.norm_first, "Pre-LN layers (nn.Transformer norm_first=True)");
  app.add_option("--activation", o.activation, "relu | gelu | gelu_tanh | silu")->capture_default_str();
  app.add_option("--eps", o.eps, "Layer-norm epsilon")->capture_default_str();
  app.add_option("--pad", o.pad, "Padding id")->capture_default_str();
  app.add_option("--bos", o.bos, "Begin-of-sequence id")->capture_default_str();
  app.add_option("--eos", o.eos, "End-of-sequence id")->capture_default_str();
  app.add_option("--unk", o.unk, "Unknown-token id (-1: none)")->capture_default_str();
  app.add_option("--src-unk", o.src_unk, "Source unknown id (default: --unk)");
  app.add_option("--tgt-unk", o.tgt_unk, "Target unknown id (default: --unk)");
  std::optional<std::string> src_prefix, src_suffix;
  app.add_option("--src-prefix", src_prefix, "ID[,ID...] or none");
  app.add_option("--src-suffix", src_suffix, "ID[,ID...] or none");
  app.add_option("--src-normalize", o.src_normalize, "none | lowercase")->check(CLI::IsMember({"none", "lowercase"}));
  app.add_option("--decoder-start", o.decoder_start, "First decoder input id (default: --bos)");
  app.add_option("--embedding-scale", o.embedding_scale, "Token-embedding multiplier (default: sqrt(d_model))");
  app.add_option("--max-positions", o.max_positions, "Longest sequence (default: the position table's length)");
  app.add_option("--src-vocab", o.src_vocab_file, "Source vocabulary: one token per line, line i = id i");
  app.add_option("--tgt-vocab", o.tgt_vocab_file, "Target vocabulary: one token per line, line i = id i");
  app.add_option("--src-tokenizer", o.src_tokenizer, "How source text splits into tokens: whitespace | chars")->capture_default_str();
  app.add_option("--tgt-tokenizer", o.tgt_tokenizer, "How target text splits into tokens: whitespace | chars")->capture_default_str();
  app.add_option("--quantize", o.quantize, "Matmul weights as int8 (per-row scales), f16 or f32")->capture_default_str();
  app.add_option("--weight-bits", o.weight_bits,
                 "int8 weights: 7 (values within +-63: every int8 GEMM, oneDNN without VNNI included, then takes "
                 "8-bit activations exactly, and x86 runs twice the lanes per multiply) or 8 (+-127)")
      ->capture_default_str();
  app.add_option("--embeddings", o.embeddings,
                 "Token embeddings as int8, f16 or f32 (default: f16, f32 with --quantize f32; a lookup reads only its rows)");
  app.add_option("--output-projection", o.output_projection,
                 "Output projection as int8, f16 or f32 (default: the --quantize type)");
  app.add_flag("--strict", o.strict, "Checkpoint tensors the layout does not use are an error, not a warning");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "No report, no progress bar");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  o.progress = !quiet && isatty(STDERR_FILENO);
  try {
    if (src_prefix) o.src_prefix = edgeseq::tools::ParseIdList("--src-prefix", *src_prefix);
    if (src_suffix) o.src_suffix = edgeseq::tools::ParseIdList("--src-suffix", *src_suffix);
    const auto report = edgeseq::tools::Convert(o, std::cerr);
    if (!quiet) {
      std::cerr << "read " << o.input << " (" << report.checkpoint_root << ")\n";
      if (!report.tensors.empty()) {
        std::cerr << "quantization (error relative to each row's largest weight):\n";
        for (const auto& q : report.tensors) {
          if (q.dtype == "int8") {
            fprintf(stderr, "  %-48s int8  max %.2e  mean %.2e\n", q.name.c_str(), q.max_rel_error, q.mean_rel_error);
          } else {
            fprintf(stderr, "  %-48s %s\n", q.name.c_str(), q.dtype.c_str());
          }
        }
      }
      std::cerr << "wrote " << o.output << " (" << report.output_bytes << " bytes)\n";
    }
    return 0;
  } catch (const edgeseq::tools::ConvertError& e) {
    std::cerr << "edgeseq-convert: error: " << e.what() << "\n";
  } catch (const edgeseq::loaders::EsqError& e) {
    std::cerr << "edgeseq-convert: error: " << e.what() << "\n";
  } catch (const edgeseq::loaders::CheckpointError& e) {
    std::cerr << "edgeseq-convert: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "edgeseq-convert: error: " << e.what() << "\n";
  }
  return 2;
}
