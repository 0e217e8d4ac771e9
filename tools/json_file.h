// Reading the JSON files a converter input carries (config.json,
// generation_config.json, tokenizer files): one place for the error messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace edgeseq::tools {

// The JSON object in the file at `path`. Throws ConvertError (one line
// naming the path) when it cannot be opened, is not valid JSON, or holds
// something other than an object.
nlohmann::json ReadJsonObject(const std::string& path);

}  // namespace edgeseq::tools
