#include "tools/convert_settings.h"

#include <math.h>
#include <stdio.h>

#include <algorithm>
#include <map>

#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

using loaders::Attr;
using loaders::ModuleInfo;

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string Where(const ModuleInfo& m, const std::string& attr) {
  return (m.path.empty() ? std::string("<model>") : m.path) + "." + attr;
}

// Records a value; a second module with another value is an error.
template <class T>
void Agree(std::optional<FileValue<T>>& slot, T value, const std::string& where, const char* what) {
  if (!slot) {
    slot = FileValue<T>{value, where};
  } else if (!(slot->value == value)) {
    throw ConvertError("the checkpoint's modules disagree on " + std::string(what) + ": " + slot->where + " = " +
                       FormatValue(slot->value) + " but " + where + " = " + FormatValue(value) +
                       "; edgeseq runs one value for the whole model");
  }
}

// The activation a Transformer layer applies: PyTorch 1.x stores the function
// (torch.nn.functional.relu) or, when given one, a module (submodule
// "activation"); later versions may keep the string.
std::optional<std::string> ActivationName(const Attr& a, const std::map<std::string, const ModuleInfo*>& by_path,
                                          const std::string& layer_path, std::string* raw) {
  if (a.kind == Attr::Kind::kGlobal || a.kind == Attr::Kind::kString) {
    *raw = a.s;
    const std::string fn = a.s.substr(a.s.rfind('.') + 1);
    if (fn == "relu") return "relu";
    if (fn == "gelu") return "gelu";
    if (fn == "silu") return "silu";
    return std::nullopt;
  }
  const auto it = by_path.find(layer_path.empty() ? "activation" : layer_path + ".activation");
  if (it == by_path.end()) {
    *raw = a.ToString();
    return std::nullopt;
  }
  const ModuleInfo& m = *it->second;
  *raw = m.type;
  if (EndsWith(m.type, ".ReLU")) return "relu";
  if (EndsWith(m.type, ".SiLU")) return "silu";
  if (EndsWith(m.type, ".GELU")) {
    const auto ap = m.attrs.find("approximate");
    if (ap == m.attrs.end() || (ap->second.kind == Attr::Kind::kString && ap->second.s == "none")) return "gelu";
    if (ap->second.kind == Attr::Kind::kString && ap->second.s == "tanh") return "gelu_tanh";
    *raw = m.type + "(approximate=" + ap->second.ToString() + ")";
  }
  return std::nullopt;
}

const char* OriginName(Origin o) {
  switch (o) {
    case Origin::kFile: return "file";
    case Origin::kFlag: return "flag";
    case Origin::kTensors: return "tensors";
    case Origin::kDefault: return "default";
  }
  return "?";
}

}  // namespace

FileSettings ReadFileSettings(const std::vector<ModuleInfo>& modules) {
  FileSettings s;
  std::map<std::string, const ModuleInfo*> by_path;
  for (const ModuleInfo& m : modules) by_path[m.path] = &m;
  std::optional<FileValue<int32_t>> src_pad;
  for (const ModuleInfo& m : modules) {
    auto attr = [&](const char* name) -> const Attr* {
      const auto it = m.attrs.find(name);
      return it == m.attrs.end() ? nullptr : &it->second;
    };
    if (EndsWith(m.type, ".MultiheadAttention")) {
      if (const Attr* a = attr("num_heads"); a && a->kind == Attr::Kind::kInt && a->i > 0) {
        Agree(s.heads, static_cast<uint32_t>(a->i), Where(m, "num_heads"), "the number of attention heads");
      }
    } else if (EndsWith(m.type, ".TransformerEncoderLayer") || EndsWith(m.type, ".TransformerDecoderLayer")) {
      if (const Attr* a = attr("norm_first"); a && a->kind == Attr::Kind::kBool) {
        Agree(s.norm_first, a->b, Where(m, "norm_first"), "norm placement (norm_first)");
      }
      // A module activation (nn.GELU(approximate="tanh")) is a submodule. A
      // plain attribute of the same name wins, as in Python's lookup (an
      // instance attribute before nn.Module's __getattr__ of _modules):
      // PyTorch 1.13's decoder layers get F.relu that way beside the module.
      const Attr none{};
      const Attr* a = attr("activation");
      const bool submodule = by_path.count(m.path.empty() ? "activation" : m.path + ".activation") > 0;
      if (a || submodule) {
        std::string raw;
        const auto name = ActivationName(a ? *a : none, by_path, m.path, &raw);
        if (!name) {
          throw ConvertError(Where(m, "activation") + " is " + raw +
                             ", which edgeseq does not run (relu, gelu, gelu_tanh, silu)");
        }
        Agree(s.activation, *name, Where(m, "activation"), "the activation");
      }
    } else if (EndsWith(m.type, ".LayerNorm")) {
      if (const Attr* a = attr("eps"); a && a->kind == Attr::Kind::kFloat) {
        Agree(s.eps, static_cast<float>(a->f), Where(m, "eps"), "the layer-norm epsilon");
      }
    } else if (EndsWith(m.type, ".Embedding")) {
      if (const Attr* a = attr("padding_idx"); a && a->kind == Attr::Kind::kInt) {
        Agree(s.pad, static_cast<int32_t>(a->i), Where(m, "padding_idx"), "the padding id");
      }
    }
  }
  return s;
}

void SettingsLog::Add(const std::string& name, const std::string& value, Origin origin, const std::string& detail) {
  entries_.push_back({name, value, origin, detail});
}

std::vector<std::string> SettingsLog::Lines() const {
  size_t wn = 0, wv = 0;
  for (const Entry& e : entries_) {
    wn = std::max(wn, e.name.size());
    wv = std::max(wv, e.value.size());
  }
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    std::string line = "  " + e.name + std::string(wn - e.name.size() + 2, ' ') + e.value +
                       std::string(wv - e.value.size() + 2, ' ') + OriginName(e.origin);
    if (!e.detail.empty()) line += ": " + e.detail;
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> SettingsLog::Defaulted() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    if (e.origin != Origin::kDefault) continue;
    if (e.name == "--norm-first") {  // a flag pair, not a flag with a value
      out.push_back(e.value == "true" ? "--norm-first" : "--post-norm");
    } else {
      out.push_back(e.name + " " + e.value);
    }
  }
  return out;
}

std::string FormatValue(uint32_t v) { return std::to_string(v); }
std::string FormatValue(int32_t v) { return std::to_string(v); }
std::string FormatValue(bool v) { return v ? "true" : "false"; }
std::string FormatValue(float v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%g", static_cast<double>(v));
  return buf;
}
std::string FormatValue(const std::string& v) { return v; }

template <class T>
T Resolve(SettingsLog& log, const std::string& flag, const std::optional<T>& given,
          const std::optional<FileValue<T>>& file, const std::optional<T>& layout_default,
          const std::string& default_why) {
  if (file) {
    if (given && !(*given == file->value)) {
      throw ConvertError(flag + " " + FormatValue(*given) + " contradicts the checkpoint, whose " + file->where +
                         " is " + FormatValue(file->value) + " (drop the flag, or fix the file)");
    }
    log.Add(flag, FormatValue(file->value), Origin::kFile, file->where + (given ? " (and the flag)" : ""));
    return file->value;
  }
  if (given) {
    log.Add(flag, FormatValue(*given), Origin::kFlag, "");
    return *given;
  }
  if (!layout_default) throw ConvertError(flag + " is required: " + default_why);
  log.Add(flag, FormatValue(*layout_default), Origin::kDefault, default_why);
  return *layout_default;
}

template uint32_t Resolve(SettingsLog&, const std::string&, const std::optional<uint32_t>&,
                          const std::optional<FileValue<uint32_t>>&, const std::optional<uint32_t>&,
                          const std::string&);
template int32_t Resolve(SettingsLog&, const std::string&, const std::optional<int32_t>&,
                         const std::optional<FileValue<int32_t>>&, const std::optional<int32_t>&, const std::string&);
template bool Resolve(SettingsLog&, const std::string&, const std::optional<bool>&,
                      const std::optional<FileValue<bool>>&, const std::optional<bool>&, const std::string&);
template float Resolve(SettingsLog&, const std::string&, const std::optional<float>&,
                       const std::optional<FileValue<float>>&, const std::optional<float>&, const std::string&);
template std::string Resolve(SettingsLog&, const std::string&, const std::optional<std::string>&,
                             const std::optional<FileValue<std::string>>&, const std::optional<std::string>&,
                             const std::string&);

}  // namespace edgeseq::tools
