// Errors the runtime reports to callers (the C++ API throws them; the C API
// and the CLI turn them into codes and one-line messages).
#pragma once

#include <stdexcept>
#include <string>

namespace edgeseq::runtime {

enum class ErrorKind {
  kModel,  // the model file is invalid or incomplete
  kInput,  // a request the model cannot serve (bad id, empty or too long input)
  kLimit,  // beyond what the Generator was sized for
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace edgeseq::runtime
