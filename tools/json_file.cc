#include "tools/json_file.h"

#include <errno.h>
#include <string.h>

#include <fstream>

#include "tools/convert.h"

namespace edgeseq::tools {

nlohmann::json ReadJsonObject(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConvertError("cannot open " + path + ": " + strerror(errno));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ConvertError(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConvertError(path + ": not a JSON object");
  return j;
}

}  // namespace edgeseq::tools
