// Strict UTF-8 validation (no overlong forms, no surrogates, ≤ U+10FFFF).
#pragma once

#include <string>
#include <string_view>

namespace edgeseq::loaders {

bool IsValidUtf8(std::string_view s);
// The text with every ill-formed sequence replaced by U+FFFD, one for each
// maximal valid prefix or stray byte (Unicode's "substitution of maximal
// subparts", as Rust's from_utf8_lossy and so Hugging Face's decoders do it).
std::string Utf8Lossy(std::string_view s);

}  // namespace edgeseq::loaders
