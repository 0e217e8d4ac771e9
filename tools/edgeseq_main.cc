// edgeseq: the command-line tool (generate, score, inspect, tokenize,
// detokenize, transcribe). Subcommands are thin: each parses its flags
// and calls a library function (tools/<subcommand>.cc).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "tools/generate.h"
#include "tools/inspect.h"
#include "tools/tokenize.h"
#include "tools/transcribe.h"

int main(int argc, char** argv) {
  CLI::App app{"edgeseq: run quantized Transformer encoder-decoder models on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeseq 0.1.0");

  edgeseq::tools::GenerateCliOptions gen;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("-m,--model", gen.model, "Model file (.esq)")->required();
    sub->add_flag("--ids", gen.ids, "Lines are space-separated token ids (used verbatim), not text");
    sub->add_option("--batch", gen.batch,
                    "Most lines decoded together: those already waiting on stdin, up to this many "
                    "(a line is never held back waiting for more)")
        ->capture_default_str();
    sub->add_option("--threads", gen.threads, "Threads for the matmuls (default: OMP_NUM_THREADS if set, else the physical cores)")
        ->check(CLI::Range(1, 1024));
    sub->add_flag("--skip-bad", gen.skip_bad,
                  "A bad line gets a warning on stderr and an empty output line, instead of stopping (a "
                  "model that reads words, e.g. the G2P model: only the bad word is left out, empty between "
                  "the others' ' | ')");
    sub->add_option("--source-lang", gen.source_language,
                    "Multilingual models (mBART, M2M100, NLLB): the source text's language, as the model's "
                    "language token (en_XX, __en__, eng_Latn) or the code inside it when one matches (en, eng); "
                    "framed where the model's family puts it. Text mode only ('edgeseq inspect' lists them)");
    sub->add_option("--target-lang", gen.target_language,
                    "Multilingual models: the language to write, its token forced as the first target token "
                    "(before any --target-prefix; score: the target starts with it)");
  };
  CLI::App* generate = app.add_subcommand(
      "generate",
      "Read one source per stdin line, write one output line per input line, in order.\n"
      "With --ids, lines are token ids and the output is the generated ids without the decoder start\n"
      "token and the final end token (EOS, or --end-token; kept with --return-end-token); without, text\n"
      "through the model's vocabularies (a character-level model\n"
      "without a space token, such as grapheme-to-phoneme, decodes each word of a line on its own and\n"
      "joins their outputs with ' | '). Exit 1 on a bad line (naming it) unless --skip-bad.");
  add_common(generate);
  generate->add_option("--max-len", gen.max_length,
                       "Decoding steps at most; the end token counts as one (default: 256, or the model's positions "
                       "if fewer)");
  generate->add_option("--min-len", gen.min_length,
                       "No end token (EOS, or --end-token) before this many tokens: its probability is 0 and the "
                       "others are renormalized")
      ->capture_default_str();
  generate->add_option("--beam", gen.beam, "Beam width (1: greedy)")->capture_default_str();
  generate->add_option("--length-penalty", gen.length_penalty,
                       "Beam: rank hypotheses by score / length^A (length counts the end token); "
                       "with --normalize-scores, the scores printed by any search")
      ->capture_default_str();
  generate->add_option("--num-hypotheses", gen.num_hypotheses,
                       "Hypotheses per source: beam search (<= --beam, or round(beam * --patience) if more), independent "
                       "samples with --sample, alternatives with --return-alternatives (any number); best first, "
                       "on one line separated by ' ||| '")
      ->capture_default_str();
  generate->add_flag("--sample", gen.sample, "Sample instead of taking the most likely token (needs --beam 1)");
  generate->add_option("--top-k", gen.top_k, "Sampling: only the K most likely tokens (0: all)")->capture_default_str();
  generate->add_option("--top-p", gen.top_p, "Sampling: the smallest set of most likely tokens with probability >= P, 0 < P <= 1")
      ->capture_default_str();
  generate->add_option("--temperature", gen.temperature, "Sampling: divide the log-probabilities by T > 0")
      ->capture_default_str();
  generate->add_option("--seed", gen.seed, "Sampling: the same seed, options and batch of lines give the same output (lines decoded together "
                       "share one random stream: with --batch 1 each line's output depends on it alone)")->capture_default_str();
  // CTranslate2's TranslationOptions of the same names (docs/DECODING.md).
  generate->add_option("--repetition-penalty", gen.repetition_penalty,
                       "Logits of the tokens generated so far become l*P if negative, l/P otherwise "
                       "(P > 1 discourages repeats, P < 1 favours them; P > 0, 1: off)")
      ->capture_default_str();
  generate->add_option("--no-repeat-ngram-size", gen.no_repeat_ngram_size,
                       "No N-gram of generated tokens occurs twice (0: off)")
      ->capture_default_str();
  generate->add_flag("--disable-unk", gen.disable_unk,
                     "Never generate the model's target unknown token (an error if the model records none)");
  generate->add_option("--suppress", gen.suppress,
                       "A sequence never generated: target tokens separated by spaces (ids with --ids), e.g. "
                       "--suppress 't z m'; one token never appears at all. Repeatable");
  generate->add_option("--end-token", gen.end_tokens,
                       "Decoding ends on this target token (an id with --ids) instead of the model's EOS, which "
                       "then is an ordinary token. Repeatable: ends on any of them");
  generate->add_flag("--return-end-token", gen.return_end_token, "Keep the end token at the end of the output");
  generate->add_option("--max-input-len", gen.max_input_length,
                       "Cut sources longer than N tokens to N (a source suffix the model records, e.g. EOS, stays "
                       "last); 0: none, a source longer than the model takes (its positions, at most 512) is a bad "
                       "line")
      ->capture_default_str();
  generate->add_flag("--scores", gen.scores,
                     "Print the hypothesis score (sum of log-probabilities, the end token's included) and a tab first");
  generate->add_flag("--normalize-scores", gen.normalize_scores,
                     "Scores are divided by length^A (A: --length-penalty; the length counts the end token), "
                     "for every search, as CTranslate2 returns them");
  generate->add_flag("--target-prefix", gen.target_prefix,
                     "Lines are SOURCE<TAB>PREFIX: every output of the line starts with PREFIX (target text, ids "
                     "with --ids), forced; it counts toward --max-len and --min-len, its log-probabilities are not "
                     "in the score (CTranslate2's target_prefix). A line without a tab has no prefix. Not for word "
                     "models in text mode");
  generate->add_flag("--return-alternatives", gen.return_alternatives,
                     "--num-hypotheses N outputs per line (N not limited by --beam): the N most likely tokens at the "
                     "first position after the target prefix (the start without one), never an end token, best "
                     "first, each continued by the search (CTranslate2's return_alternatives)");
  generate->add_option("--min-alternative-expansion-prob", gen.min_alternative_expansion_prob,
                       "With --return-alternatives: leave out alternatives less likely than P, 0 <= P <= 1")
      ->capture_default_str();
  generate->add_option("--patience", gen.patience,
                       "Beam: CTranslate2's patience P > 0. 1: edgeseq's own stopping rule; > 1: also wait for "
                       "round(beam*P) finished hypotheses (--num-hypotheses may be up to that); < 1: also stop once "
                       "that many (at least --num-hypotheses) are finished")
      ->capture_default_str();
  generate->add_flag("--return-attention", gen.return_attention,
                     "After each output, a tab and its alignment (CTranslate2's return_attention): for each output "
                     "token, the weights over the source's tokens (the model's alignment heads, averaged), rows "
                     "separated by ' ; '");
  generate->add_option("--prefix-bias-beta", gen.prefix_bias_beta,
                       "With --target-prefix: 0 < B < 1 makes the prefix a soft bias instead of forced "
                       "(CTranslate2's prefix_bias_beta): while an output follows its prefix, each step's "
                       "distribution is (1-B)*p plus B on the prefix's next token; runs beam search (--beam 1 too)")
      ->capture_default_str();
  generate->add_option("--coverage-penalty", gen.coverage_penalty,
                       "CTranslate2's coverage_penalty B: beam search ranks finished outputs (and --normalize-scores "
                       "scores them) adding B * sum over source tokens of log(min(attention received, 1)); 0: off")
      ->capture_default_str();
  generate->add_flag("--replace-unknowns", gen.replace_unknowns,
                     "Text mode: write each unknown target token as the source token it attends to most "
                     "(CTranslate2's replace_unknowns)");
  generate->add_flag("--stats", gen.stats, "Print timings (load, decode, tokens/s) to stderr");

  CLI::App* score = app.add_subcommand(
      "score",
      "Read SOURCE<TAB>TARGET lines; print the log-probability of TARGET followed by EOS given SOURCE\n"
      "(teacher forcing from the decoder start token).");
  add_common(score);
  score->add_option("--max-len", gen.max_length,
                    "Longest target, in steps with the EOS (default: 256, or the model's positions if fewer)");
  score->add_flag("--tokens", gen.score_tokens,
                  "Print the log-probability of each target token and of the EOS, space-separated, instead of their sum");

  std::string inspect_path;
  bool verify = false;
  CLI::App* inspect = app.add_subcommand(
      "inspect", "Print a model file's header, vocabularies and tensors; exit 1 with a one-line reason if it is not valid");
  inspect->add_option("model", inspect_path, "Model file (.esq)")->required();
  inspect->add_flag("--verify", verify, "Also check every tensor's checksum (reads the whole file)");

  edgeseq::tools::TokenizeCliOptions tok;
  CLI::App* tokenize = app.add_subcommand(
      "tokenize",
      "Read one text per stdin line; print its ids, space-separated, as 'generate --ids' takes them (a source\n"
      "framed with the model's prefix and suffix ids), through the model's tokenizer and vocabulary\n"
      "(whitespace, characters, SentencePiece or byte-level BPE). Exit 1 on a bad line, naming it.");
  CLI::App* detokenize = app.add_subcommand(
      "detokenize",
      "Read one line of space-separated ids per stdin line; print its text (special tokens such as </s>\n"
      "left out unless --keep-special). Exit 1 on a bad line (an id outside the vocabulary), naming it.");
  for (CLI::App* sub : {tokenize, detokenize}) {
    sub->add_option("-m,--model", tok.model, "Model file (.esq)")->required();
    sub->add_flag("--target", tok.target, "The target side's tokenizer and vocabulary (default: the source's)");
  }
  tokenize->add_option("--source-lang", tok.source_language,
                       "Multilingual models: frame the source with this language's token (as generate does)");
  tokenize->add_flag("--pieces", tok.pieces, "Print the vocabulary's tokens, space-separated, instead of ids");
  detokenize->add_flag("--keep-special", tok.keep_special, "Keep special tokens (e.g. </s>, <|endoftext|>) in the text");

  edgeseq::tools::TranscribeCliOptions tr;
  bool no_condition = false;
  CLI::App* transcribe = app.add_subcommand(
      "transcribe",
      "Speech to text with a Whisper model converted with its tokenizer (edgeseq-convert --tgt-tokenizer\n"
      "tiktoken:FILE): AUDIO (WAV, FLAC, Ogg, Opus, MP3, ...; any rate, mixed to mono, resampled to 16 kHz)\n"
      "as openai-whisper's transcribe() does it: 30 s windows one after another, each decoded under\n"
      "Whisper's rules, again at the next temperature when the text repeats itself (gzip ratio above\n"
      "2.4 by default) or its average log-probability is low (below -1 by default), the previous\n"
      "windows' text as the next one's prompt.\n"
      "Writes txt (default: one line per segment), srt, vtt or json on stdout (txt, srt and vtt segment by\n"
      "segment as each window is done) or to --output-file.\n"
      "A detected language is named on stderr. Errors: one line on stderr, exit status 1 (a bad flag: CLI\n"
      "usage message, exit status 2).");
  transcribe->add_option("-m,--model", tr.model, "Model file (.esq)")->required();
  transcribe->add_option("audio", tr.audio, "Audio file")->required();
  transcribe->add_option("--language", tr.language,
                         "Spoken language, a Whisper code or English name in any case (en, de, German, Mandarin, ...), "
                         "or auto (the default): detected from "
                         "the first 30 s (multilingual models). English-only models ignore it");
  transcribe->add_option("--task", tr.task, "transcribe (the spoken language) or translate (into English)")
      ->check(CLI::IsMember({"transcribe", "translate"}))
      ->capture_default_str();
  transcribe->add_flag("--timestamps", tr.timestamps,
                       "Decode with Whisper's timestamp tokens: segments end where the model says and txt lines "
                       "start with [MM:SS.mmm --> MM:SS.mmm]. Without it each 30 s window is one segment. "
                       "--output srt and vtt turn it on");
  transcribe->add_option("--beam", tr.beam, "Beam search of this width at temperature 0 (1: greedy)")
      ->capture_default_str();
  transcribe->add_option("--best-of", tr.best_of, "Samples drawn at each temperature above 0, the most likely kept")
      ->capture_default_str();
  transcribe->add_option("--temperature", tr.temperatures,
                         "The temperatures tried in order for a window until its text passes the tests above, e.g. "
                         "--temperature 0,0.5,1 (repeatable; default: 0,0.2,0.4,0.6,0.8,1)")
      ->allow_extra_args(false);
  transcribe->add_flag("--no-fallback", tr.no_fallback, "Only the first temperature: no retries");
  transcribe->add_option("--initial-prompt", tr.initial_prompt,
                         "Text the model reads before the first window (names, spelling, style)");
  transcribe->add_flag("--no-condition-on-previous-text", no_condition,
                       "Each window without the previous windows' text as its prompt");
  transcribe->add_option("--compression-ratio-threshold", tr.compression_ratio_threshold,
                         "A window whose text's gzip compression ratio is above this is decoded again at the next "
                         "temperature (0 or less, or none: never)")
      ->capture_default_str();
  transcribe->add_option("--logprob-threshold", tr.logprob_threshold,
                         "A window whose average token log-probability is below this is decoded again at the next "
                         "temperature (none: never)")
      ->capture_default_str();
  transcribe->add_option("--no-speech-threshold", tr.no_speech_threshold,
                         "A window whose <|nospeech|> probability is above this and whose average log-probability "
                         "is below --logprob-threshold (on the probability alone with --logprob-threshold none) is "
                         "taken as silence and skipped (none: never)")
      ->capture_default_str();
  transcribe->add_option("--patience", tr.patience,
                         "Beam search: stop once beam x patience hypotheses have finished (Whisper's patience; > 0)")
      ->capture_default_str();
  transcribe->add_option("--suppress-tokens", tr.suppress_tokens,
                         "Token ids never written, comma-separated; -1 stands for Whisper's non-speech symbols; "
                         "none (or '') for none")
      ->capture_default_str();
  transcribe->add_flag("--no-suppress-blank", tr.no_suppress_blank,
                       "Let a window's text start with a space or end at once (Whisper's suppress_blank off)");
  transcribe->add_option("--max-initial-timestamp", tr.max_initial_timestamp,
                         "With timestamps: the first one is at most this many seconds into the window (0: no limit)")
      ->capture_default_str();
  transcribe->add_option("--output", tr.output,
                         "txt (text per segment), srt (SubRip), vtt (WebVTT) or json (openai-whisper's result: "
                         "text, segments with times, tokens and scores, language); srt and vtt imply --timestamps")
      ->check(CLI::IsMember({"txt", "srt", "vtt", "json"}))
      ->capture_default_str();
  transcribe->add_option("--output-file", tr.output_file,
                         "Write to this file (replaced whole once done; never left half-written) instead of stdout");
  transcribe->add_option("--threads", tr.threads,
                         "Threads for the matmuls (default: OMP_NUM_THREADS if set, else the physical cores)")
      ->check(CLI::Range(1, 1024));
  transcribe->add_option("--seed", tr.seed, "Sampling at temperatures above 0: the same seed gives the same output")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors: 2
  }
  try {
    if (*inspect) return edgeseq::tools::Inspect(inspect_path, verify, std::cout, std::cerr);
    if (*tokenize) return edgeseq::tools::RunTokenize(tok, std::cin, std::cout, std::cerr);
    if (*detokenize) return edgeseq::tools::RunDetokenize(tok, std::cin, std::cout, std::cerr);
    if (*transcribe) {
      tr.condition_on_previous_text = !no_condition;
      return edgeseq::tools::RunTranscribe(tr, std::cout, std::cerr);
    }
    std::ios::sync_with_stdio(false);
    // stdin as a file descriptor: a batch takes only the lines already there
    // (tools/generate.h), so an interactive caller is answered line by line.
    if (*generate) return edgeseq::tools::RunGenerate(gen, STDIN_FILENO, std::cout, std::cerr);
    if (*score) return edgeseq::tools::RunScore(gen, STDIN_FILENO, std::cout, std::cerr);
  } catch (const std::bad_alloc&) {
    std::cerr << "edgeseq: error: out of memory\n";
    return 1;
  }
  return 2;
}
