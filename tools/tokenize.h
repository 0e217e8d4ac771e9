// `edgeseq tokenize` and `edgeseq detokenize`: a model's text conventions
// (its tokenizer and vocabularies: whitespace, characters, SentencePiece,
// byte-level BPE) line by line, for scripts and tests.
#pragma once

#include <iosfwd>
#include <string>

namespace edgeseq::tools {

struct TokenizeCliOptions {
  std::string model;
  bool target = false;        // the target side's conventions (default: the source's)
  bool pieces = false;        // tokenize: the vocabulary's tokens instead of ids
  bool keep_special = false;  // detokenize: keep special tokens (e.g. </s>) in the text
  std::string source_language;  // tokenize: frame with this language's token (multilingual models)
};

// tokenize: each line of text on `in` becomes one line on `out`: the ids,
// separated by spaces, that `edgeseq generate --ids` takes (a source framed
// with the model's prefix and suffix ids; a token outside the vocabulary as
// the unknown id, with a warning), or with pieces those ids' vocabulary
// entries. detokenize: each line of ids becomes its text (special tokens
// dropped unless keep_special). A bad line (invalid UTF-8, an id outside the
// vocabulary, a token the model cannot read) stops with one line on `err`
// naming its number. Returns the exit status: 0, or 1 (bad model or line).
int RunTokenize(const TokenizeCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err);
int RunDetokenize(const TokenizeCliOptions& o, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace edgeseq::tools
