#include "tools/convert_conventions.h"

#include <math.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "ops/embedding.h"

namespace edgeseq::tools {

std::vector<int32_t> ParseIdList(const std::string& flag, const std::string& text) {
  if (text == "none") return {};
  std::vector<int32_t> ids;
  size_t i = 0;
  while (true) {
    const size_t comma = text.find(',', i);
    const std::string part = text.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    int32_t v = -1;
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v < 0) {
      throw ConvertError(flag + " takes 'none' or token ids separated by commas (e.g. 2 or 2,7), not '" + text + "'");
    }
    ids.push_back(v);
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  if (ids.size() > loaders::kMaxSourceFraming) {
    throw ConvertError(flag + " takes at most " + std::to_string(loaders::kMaxSourceFraming) + " ids, not " +
                       std::to_string(ids.size()));
  }
  return ids;
}

loaders::TextNormalization ParseNormalization(const std::string& text) {
  if (text == "none") return loaders::TextNormalization::kNone;
  if (text == "lowercase") return loaders::TextNormalization::kLowercaseAscii;
  if (text == "lowercase-join") return loaders::TextNormalization::kLowercaseJoin;
  throw ConvertError("--src-normalize must be none, lowercase or lowercase-join, not '" + text + "'");
}

void SetTextConventions(const ConvertOptions& o, bool tutorial_layout, int32_t unk, int32_t bos, int32_t eos,
                        loaders::ModelConfig& c, SettingsLog& settings, const FileSettings* file) {
  auto check = [](const std::string& flag, int32_t id, uint32_t vocab, const char* which, bool optional) {
    if (optional && id == -1) return;
    if (id < 0 || static_cast<uint32_t>(id) >= vocab) {
      throw ConvertError(flag + " " + std::to_string(id) + " is not an id of the " + which + " vocabulary (" +
                         std::to_string(vocab) + " ids" + (optional ? "; -1: none)" : ")"));
    }
  };
  if (file && (file->src_unk || file->tgt_unk)) {
    // The input records each vocabulary's unknown id.
    c.src_unk_id = Resolve<int32_t>(settings, "--src-unk", o.src_unk, file->src_unk, unk, "--unk");
    c.tgt_unk_id = Resolve<int32_t>(settings, "--tgt-unk", o.tgt_unk, file->tgt_unk, unk, "--unk");
    check("--src-unk", c.src_unk_id, c.src_vocab_size, "source", true);
    check("--tgt-unk", c.tgt_unk_id, c.tgt_vocab_size, "target", true);
  } else {
    c.src_unk_id = o.src_unk.value_or(unk);
    c.tgt_unk_id = o.tgt_unk.value_or(unk);
    check(o.src_unk ? "--src-unk" : "--unk", c.src_unk_id, c.src_vocab_size, "source", true);
    check(o.tgt_unk ? "--tgt-unk" : "--unk", c.tgt_unk_id, c.tgt_vocab_size, "target", true);
    for (const auto& [flag, given, id] : {std::tuple<const char*, bool, int32_t>{"--src-unk", o.src_unk.has_value(),
                                                                                c.src_unk_id},
                                          {"--tgt-unk", o.tgt_unk.has_value(), c.tgt_unk_id}}) {
      settings.Add(flag, std::to_string(id), given || o.unk ? Origin::kFlag : Origin::kDefault,
                   given ? "" : o.unk ? "--unk" : "--unk's default");
    }
  }
  auto list = [](const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s.empty() ? std::string("none") : s;
  };
  auto framing = [&](const std::optional<std::vector<int32_t>>& given, int32_t layout_id, const char* flag,
                     const char* default_flag,
                     const std::optional<FileValue<std::vector<int32_t>>>* recorded) {
    std::vector<int32_t> ids;
    if (recorded && *recorded && given && *given != (*recorded)->value) {
      throw ConvertError(std::string(flag) + " " + list(*given) + " contradicts the input, whose " +
                         (*recorded)->where + " gives " + list((*recorded)->value) +
                         " (drop the flag, or fix the file)");
    }
    if (given) {
      ids = *given;
    } else if (recorded && *recorded) {
      ids = (*recorded)->value;
    } else if (tutorial_layout && layout_id >= 0) {
      ids = {layout_id};
    }
    if (ids.size() > loaders::kMaxSourceFraming) {
      throw ConvertError(std::string(flag) + " takes at most " + std::to_string(loaders::kMaxSourceFraming) + " ids");
    }
    for (int32_t id : ids) check(given ? flag : std::string(default_flag) + " (the layout's default " + flag + ")", id,
                                 c.src_vocab_size, "source", false);
    return ids;
  };
  c.src_prefix = framing(o.src_prefix, bos, "--src-prefix", "--bos", file ? &file->src_prefix : nullptr);
  c.src_suffix = framing(o.src_suffix, eos, "--src-suffix", "--eos", file ? &file->src_suffix : nullptr);
  c.src_normalization = o.src_normalize ? ParseNormalization(*o.src_normalize) : loaders::TextNormalization::kNone;
  const char* why = tutorial_layout ? "the torch-transformer layout's default (the tutorial frames sources BOS ... EOS)"
                                    : "no framing";
  for (const auto& [flag, given, ids, recorded] :
       {std::tuple<const char*, bool, const std::vector<int32_t>&, const std::optional<FileValue<std::vector<int32_t>>>*>{
            "--src-prefix", o.src_prefix.has_value(), c.src_prefix, file ? &file->src_prefix : nullptr},
        {"--src-suffix", o.src_suffix.has_value(), c.src_suffix, file ? &file->src_suffix : nullptr}}) {
    if (recorded && *recorded) {
      settings.Add(flag, list(ids), Origin::kFile, (*recorded)->where + (given ? " (and the flag)" : ""));
    } else {
      settings.Add(flag, list(ids), given ? Origin::kFlag : Origin::kDefault, given ? "" : why);
    }
  }
  settings.Add("--src-normalize", o.src_normalize ? *o.src_normalize : "none",
               o.src_normalize ? Origin::kFlag : Origin::kDefault, o.src_normalize ? "" : "source text as given");
}

std::optional<SinusoidMatch> MatchSinusoid(const std::vector<float>& table, uint64_t rows, uint32_t dim,
                                           uint32_t max_offset, float tolerance) {
  if (rows == 0 || dim == 0 || table.size() != rows * dim) return std::nullopt;
  // A few rows first: most candidates fail there, before a whole table is computed.
  const uint64_t probe = std::min<uint64_t>(rows, 4);
  std::vector<float> formula;
  for (const auto layout : {ops::SinusoidLayout::kInterleaved, ops::SinusoidLayout::kConcatenated}) {
    for (const auto freq : {ops::SinusoidFrequencies::kPaper, ops::SinusoidFrequencies::kTensor2Tensor}) {
      for (uint32_t offset = 0; offset <= max_offset; ++offset) {
        bool same = true;
        for (const uint64_t n : {probe, rows}) {
          formula.resize(n * dim);
          ops::SinusoidalTable(n, dim, layout, freq, offset, formula.data());
          for (size_t k = 0; k < formula.size() && same; ++k) same = fabsf(table[k] - formula[k]) <= tolerance;
          if (!same || n == rows) break;
        }
        if (!same) continue;
        return SinusoidMatch{layout == ops::SinusoidLayout::kInterleaved ? loaders::PositionKind::kSinusoidalInterleaved
                                                                         : loaders::PositionKind::kSinusoidalConcat,
                             freq == ops::SinusoidFrequencies::kPaper ? loaders::PositionFrequencies::kPaper
                                                                      : loaders::PositionFrequencies::kTensor2Tensor,
                             offset};
      }
    }
  }
  return std::nullopt;
}

}  // namespace edgeseq::tools
