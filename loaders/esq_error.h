// Typed errors of the .esq reader and writer: what is wrong, in which file,
// about which section, tensor or field.
#pragma once

#include <stdexcept>
#include <string>

namespace edgeseq::loaders {

enum class EsqErrorKind {
  kIo,                 // cannot open, map, write or rename
  kBadMagic,           // not an .esq file
  kUnsupportedVersion, // a major version this reader does not read
  kTruncated,          // shorter than its own structure says
  kBadOffset,          // an offset or size points outside the file or its section
  kOverflow,           // offset + size or a shape product overflows
  kOverlap,            // two sections or two tensors share bytes
  kMisaligned,         // tensor data not on a 64-byte boundary
  kUnknownDType,
  kShapeMismatch,      // shape vs byte size, or vs the header
  kDuplicateName,
  kBadScale,           // int8 scale negative, NaN or infinite
  kBadHeader,          // a header field out of range or inconsistent
  kBadVocabulary,
  kLimit,              // a size beyond the documented limits
  kMissingSection,
  kUnknownSection,     // an unknown section flagged must-understand
  kChecksum,
};

const char* EsqErrorKindName(EsqErrorKind kind);

class EsqError : public std::runtime_error {
 public:
  EsqError(EsqErrorKind kind, const std::string& file, const std::string& where,
           const std::string& message)
      : std::runtime_error(file + ": " + (where.empty() ? "" : where + ": ") + message),
        kind_(kind), where_(where) {}
  EsqErrorKind kind() const { return kind_; }
  // The section, tensor or field concerned ("header.d_model", "tensor 'x'").
  const std::string& where() const { return where_; }

 private:
  EsqErrorKind kind_;
  std::string where_;
};

}  // namespace edgeseq::loaders
