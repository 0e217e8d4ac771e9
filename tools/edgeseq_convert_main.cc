// edgeseq-convert: PyTorch checkpoint (zip or safetensors) or CTranslate2
// model directory → .esq model.
// Exit status: 0 converted, 2 bad input or usage (one line on stderr), and
// no output file is left behind on failure.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <new>
#include <optional>
#include <string>

#include "loaders/checkpoint_error.h"
#include "loaders/esq_error.h"
#include "tools/convert.h"
#include "tools/convert_conventions.h"

int main(int argc, char** argv) {
  edgeseq::tools::ConvertOptions o;
  CLI::App app{"edgeseq-convert: turn a PyTorch checkpoint into an .esq model file.\n"
               "Reads torch.save zip files (state dict, whole pickled model, or a checkpoint dict) and\n"
               ".safetensors without Python, and CTranslate2 model directories (model.bin); never executes\n"
               "anything from the file."};
  bool list = false;
  app.add_option("checkpoint", o.input,
                 "Checkpoint (.pth/.pt zip, or .safetensors), a CTranslate2 model directory (model.bin, "
                 "vocabularies, config.json), or a Hugging Face model directory (config.json, weights; "
                 "model_type marian, bart, mbart, m2m_100 (NLLB too), t5, mt5): settings come from the directory")->required();
  auto* output = app.add_option("-o,--output", o.output, "Output model file (.esq); written atomically");
  app.add_flag("--list", list, "Print the checkpoint's container and every tensor (name, dtype, shape), then exit")
      ->excludes(output);
  auto* map = app.add_option("--map", o.map_file,
                              "JSON mapping from checkpoint names to roles, instead of --arch (docs/CONVERTER.md)");
  app.add_option("--arch", o.arch, "Built-in tensor-name layout (not with --map); a directory with config.json is read as "
                 "Hugging Face's (auto) whatever this says")
      ->check(CLI::IsMember({"torch-transformer", "auto"}))
      ->excludes(map)
      ->capture_default_str();
  app.add_option("--key", o.key, "Entry of a checkpoint dict that holds the state dict (default: the one that holds tensors)");
  app.add_option("--heads", o.heads,
                 "Number of attention heads (a whole pickled model records it; a state dict needs this flag)")
      ->check(CLI::PositiveNumber);
  bool norm_first = false;
  auto* norm_flag = app.add_flag("--norm-first,!--post-norm", norm_first,
                                 "Pre-LN (--norm-first) or post-LN (--post-norm) layers (default: post-LN, "
                                 "nn.Transformer's norm_first=False)");
  app.add_option("--activation", o.activation, "FFN activation (default: relu)")
      ->check(CLI::IsMember({"relu", "gelu", "gelu_tanh", "silu"}));
  app.add_option("--eps", o.eps, "Layer-norm epsilon (default: 1e-5)");
  app.add_option("--pad", o.pad, "Padding id, -1 for none (default: 1, the tutorial's)");
  app.add_option("--bos", o.bos, "Begin-of-sequence id, -1 for none (default: 2)");
  app.add_option("--eos", o.eos, "End-of-sequence id (default: 3)");
  app.add_option("--unk", o.unk, "Unknown-token id, -1 for none (default: 0)");
  // Conventions recorded in the header (tools/convert_conventions.h, docs/CONVERTER.md).
  app.add_option("--src-unk", o.src_unk,
                 "Source vocabulary's unknown id, -1 for none: text mode reads an out-of-vocabulary token as it, "
                 "with a warning (default: --unk)");
  app.add_option("--tgt-unk", o.tgt_unk, "Target vocabulary's unknown id, -1 for none (default: --unk)");
  std::optional<std::string> src_prefix, src_suffix;
  app.add_option("--src-prefix", src_prefix,
                 "Source ids put before every text source, e.g. BOS or a language token: ID[,ID...] or none "
                 "(default with --arch torch-transformer: --bos, as PyTorch's tutorial; with --map: none)");
  app.add_option("--src-suffix", src_suffix,
                 "Source ids put after every text source, e.g. EOS: ID[,ID...] or none "
                 "(default with --arch torch-transformer: --eos, as PyTorch's tutorial; with --map: none)");
  app.add_option("--src-normalize", o.src_normalize,
                 "Source text normalization the model was trained with: none | lowercase (ASCII A-Z) | "
                 "lowercase-join (lowercase, and apostrophes ' and U+2019 and hyphens removed, so \"Don't\" and "
                 "\"well-known\" read as the one word a dictionary-trained model knows; format 1.5) (default: none)")
      ->check(CLI::IsMember({"none", "lowercase", "lowercase-join"}));
  app.add_option("--decoder-start", o.decoder_start, "First decoder input id (default: --bos)");
  app.add_option("--embedding-scale", o.embedding_scale, "Token-embedding multiplier (default: sqrt(d_model))");
  app.add_option("--max-positions", o.max_positions, "Longest sequence (default: the position table's length)")
      ->check(CLI::PositiveNumber);
  app.add_option("--src-vocab", o.src_vocab_file, "Source vocabulary: one token per line, line i = id i");
  app.add_option("--tgt-vocab", o.tgt_vocab_file, "Target vocabulary: one token per line, line i = id i");
  app.add_option("--src-tokenizer", o.src_tokenizer,
                 "How source text splits into tokens: whitespace | chars | sentencepiece:FILE (a SentencePiece "
                 ".model, stored in the output; without --src-vocab its pieces are the vocabulary) | byte-level "
                 "BPE, stored in the output: bpe:VOCAB.json,MERGES.txt (GPT-2/BART) | hf:tokenizer.json (a "
                 "Hugging Face BPE model with the ByteLevel pre-tokenizer) | tiktoken:FILE[,SPECIALS.txt] "
                 "(ranks are ids, then one special token per SPECIALS.txt line); without --src-vocab the "
                 "tokenizer's ids are the model's (default: whitespace)");
  app.add_option("--tgt-tokenizer", o.tgt_tokenizer,
                 "How target text splits into tokens, as --src-tokenizer (default: whitespace); for a Whisper "
                 "model, tiktoken:FILE (gpt2.tiktoken English-only, multilingual.tiktoken otherwise) gets "
                 "Whisper's special tokens appended");
  app.add_option("--quantize", o.quantize, "Matmul weights as int8 (per-row scales), f16 or f32")
      ->check(CLI::IsMember({"int8", "f16", "f32"}))
      ->capture_default_str();
  app.add_option("--weight-bits", o.weight_bits,
                 "int8 weights: 7 (values within +-63: every int8 GEMM, oneDNN without VNNI included, then takes "
                 "8-bit activations exactly, and x86 runs twice the lanes per multiply) or 8 (+-127)")
      ->check(CLI::IsMember({7, 8}))
      ->capture_default_str();
  app.add_option("--embeddings", o.embeddings,
                 "Token embeddings as int8, f16 or f32 (default: f16, f32 with --quantize f32, int8 with --quantize int8 "
                 "when the output projection is tied to them; a lookup reads only its rows)")
      ->check(CLI::IsMember({"int8", "f16", "f32"}));
  app.add_option("--output-projection", o.output_projection,
                 "Output projection as int8, f16 or f32 (default: the --quantize type; a tied one is the target "
                 "embedding: --embeddings)")
      ->check(CLI::IsMember({"int8", "f16", "f32"}));
  app.add_flag("--strict", o.strict,
               "Refuse any setting that would come from a layout default, and checkpoint tensors the layout does "
               "not use");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "No settings summary, no per-tensor report, no progress bar");
  // A model's conventions written once, for every conversion of it (e.g.
  // examples/g2p/convert.toml): CLI11's config file, flags as TOML keys.
  app.set_config("--config", "",
                 "Read flags from a TOML file, one per line as NAME = VALUE without the dashes (heads = 4, "
                 "src-normalize = \"lowercase-join\", quiet = true); a flag given on the command line wins; an "
                 "unknown name is an error; relative paths are read from the current directory");
  app.allow_config_extras(CLI::config_extras_mode::error);  // a misspelt name must not pass unread
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // One line, naming the flag and, for enumerated flags, the valid values.
    std::cerr << "edgeseq-convert: error: " << e.what() << " (--help lists every flag)\n";
    return 2;
  }
  if (norm_flag->count()) o.norm_first = norm_first;
  o.progress = !quiet && isatty(STDERR_FILENO);
  o.quiet = quiet;
  try {
    if (src_prefix) o.src_prefix = edgeseq::tools::ParseIdList("--src-prefix", *src_prefix);
    if (src_suffix) o.src_suffix = edgeseq::tools::ParseIdList("--src-suffix", *src_suffix);
    if (list) {
      edgeseq::tools::ListCheckpoint(o.input, o.key, std::cout);
      return 0;
    }
    if (o.output.empty()) {
      std::cerr << "edgeseq-convert: error: --output is required (or --list to see the checkpoint)\n";
      return 2;
    }
    const auto report = edgeseq::tools::Convert(o, std::cerr);
    if (!quiet) {
      std::cerr << "read " << o.input << " (" << report.checkpoint_root << ")\n";
      std::cerr << "settings (origin: file = recorded in the checkpoint, flag, tensors = from the shapes, "
                   "default = the layout's convention):\n";
      for (const auto& line : report.settings) std::cerr << line << "\n";
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
  } catch (const std::bad_alloc&) {
    std::cerr << "edgeseq-convert: error: out of memory reading " << o.input << "\n";
  } catch (const std::exception& e) {
    std::cerr << "edgeseq-convert: error: " << e.what() << "\n";
  }
  return 2;
}
