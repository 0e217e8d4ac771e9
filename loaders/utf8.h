// Strict UTF-8 validation (no overlong forms, no surrogates, ≤ U+10FFFF).
#pragma once

#include <string_view>

namespace edgeseq::loaders {

bool IsValidUtf8(std::string_view s);

}  // namespace edgeseq::loaders
