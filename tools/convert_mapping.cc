#include "tools/convert_mapping.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace edgeseq::tools {

Mapping TorchTransformerMapping() {
  Mapping m;
  auto add = [&](std::string role, std::string source, uint32_t split = 1, std::vector<uint32_t> take = {},
                 bool optional = false) {
    // nn.Transformer(bias=False) (PyTorch >= 2.1) drops every Linear and
    // LayerNorm bias: each kind is optional as a group.
    std::string group;
    if (role.size() > 5 && role.compare(role.size() - 5, 5, ".bias") == 0) {
      group = role.find("norm") != std::string::npos ? "norm biases" : "linear biases";
    }
    m.rules.push_back({std::move(role), {std::move(source)}, split, std::move(take), optional, std::move(group)});
  };
  add("encoder.embed_tokens.weight", "src_tok_emb.embedding.weight");
  add("decoder.embed_tokens.weight", "tgt_tok_emb.embedding.weight");
  for (const char* stack : {"encoder", "decoder"}) {
    const std::string ours = std::string(stack) + ".layers.{i}.";
    const std::string theirs = std::string("transformer.") + stack + ".layers.{i}.";
    add(ours + "self_attn.qkv_proj.weight", theirs + "self_attn.in_proj_weight");
    add(ours + "self_attn.qkv_proj.bias", theirs + "self_attn.in_proj_bias");
    add(ours + "self_attn.out_proj.weight", theirs + "self_attn.out_proj.weight");
    add(ours + "self_attn.out_proj.bias", theirs + "self_attn.out_proj.bias");
    add(ours + "self_attn_norm.weight", theirs + "norm1.weight");
    add(ours + "self_attn_norm.bias", theirs + "norm1.bias");
    add(ours + "ffn.fc1.weight", theirs + "linear1.weight");
    add(ours + "ffn.fc1.bias", theirs + "linear1.bias");
    add(ours + "ffn.fc2.weight", theirs + "linear2.weight");
    add(ours + "ffn.fc2.bias", theirs + "linear2.bias");
    const std::string ffn_norm = std::string(stack) == "encoder" ? "norm2" : "norm3";
    add(ours + "ffn_norm.weight", theirs + ffn_norm + ".weight");
    add(ours + "ffn_norm.bias", theirs + ffn_norm + ".bias");
    add(std::string(stack) + ".norm.weight", std::string("transformer.") + stack + ".norm.weight", 1, {}, true);
    add(std::string(stack) + ".norm.bias", std::string("transformer.") + stack + ".norm.bias", 1, {}, true);
  }
  const std::string dec = "decoder.layers.{i}.", tdec = "transformer.decoder.layers.{i}.";
  add(dec + "cross_attn.q_proj.weight", tdec + "multihead_attn.in_proj_weight", 3, {0});
  add(dec + "cross_attn.kv_proj.weight", tdec + "multihead_attn.in_proj_weight", 3, {1, 2});
  add(dec + "cross_attn.q_proj.bias", tdec + "multihead_attn.in_proj_bias", 3, {0});
  add(dec + "cross_attn.kv_proj.bias", tdec + "multihead_attn.in_proj_bias", 3, {1, 2});
  add(dec + "cross_attn.out_proj.weight", tdec + "multihead_attn.out_proj.weight");
  add(dec + "cross_attn.out_proj.bias", tdec + "multihead_attn.out_proj.bias");
  add(dec + "cross_attn_norm.weight", tdec + "norm2.weight");
  add(dec + "cross_attn_norm.bias", tdec + "norm2.bias");
  add("decoder.output_projection.weight", "generator.weight");
  add("decoder.output_projection.bias", "generator.bias", 1, {}, true);
  m.positions = "positional_encoding.pos_embedding";
  return m;
}

Mapping ParseMappingJson(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("mapping file is not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("tensors") || !j["tensors"].is_object()) {
    throw std::runtime_error("mapping file needs an object \"tensors\": {role: source, ...}");
  }
  Mapping m;
  for (const auto& [role, spec] : j["tensors"].items()) {
    MappingRule r;
    r.role = role;
    if (spec.is_string()) {
      r.sources = {spec.get<std::string>()};
    } else if (spec.is_object()) {
      if (spec.contains("from") && spec["from"].is_string()) {
        r.sources = {spec["from"].get<std::string>()};
      } else if (spec.contains("concat") && spec["concat"].is_array()) {
        for (const auto& s : spec["concat"]) {
          if (s.is_null()) {
            r.sources.push_back("");  // a zero part
            continue;
          }
          if (!s.is_string() || s.get<std::string>().empty()) {
            throw std::runtime_error("mapping for " + role + ": \"concat\" takes names, or null for a zero part");
          }
          r.sources.push_back(s.get<std::string>());
        }
        if (std::all_of(r.sources.begin(), r.sources.end(), [](const std::string& s) { return s.empty(); })) {
          throw std::runtime_error("mapping for " + role + ": \"concat\" needs at least one named part");
        }
      } else {
        throw std::runtime_error("mapping for " + role + ": needs \"from\" or \"concat\"");
      }
      if (spec.contains("split")) {
        if (!spec["split"].is_number_unsigned() || spec["split"].get<uint32_t>() == 0) {
          throw std::runtime_error("mapping for " + role + ": \"split\" must be a positive integer");
        }
        r.split = spec["split"].get<uint32_t>();
      }
      if (spec.contains("take")) {
        for (const auto& t : spec["take"]) {
          if (!t.is_number_unsigned() || t.get<uint32_t>() >= r.split) {
            throw std::runtime_error("mapping for " + role + ": \"take\" indices must be below \"split\"");
          }
          r.take.push_back(t.get<uint32_t>());
        }
      }
      if (spec.contains("optional") && !spec["optional"].is_boolean()) {
        throw std::runtime_error("mapping for " + role + ": \"optional\" must be true or false");
      }
      r.optional = spec.value("optional", false);
      if (spec.contains("group")) {
        if (!spec["group"].is_string()) throw std::runtime_error("mapping for " + role + ": \"group\" names a group");
        r.group = spec["group"].get<std::string>();
      }
      for (const auto& [k, v] : spec.items()) {
        if (k != "from" && k != "concat" && k != "split" && k != "take" && k != "optional" && k != "group") {
          throw std::runtime_error("mapping for " + role + ": unknown key \"" + k +
                                   "\" (known: from, concat, split, take, optional, group)");
        }
      }
    } else {
      throw std::runtime_error("mapping for " + role + ": a source name or an object");
    }
    m.rules.push_back(std::move(r));
  }
  if (j.contains("positions")) {
    if (!j["positions"].is_string()) throw std::runtime_error("\"positions\" names a tensor");
    m.positions = j["positions"].get<std::string>();
  }
  if (j.contains("aliases")) {
    if (!j["aliases"].is_object()) throw std::runtime_error("\"aliases\" is an object {copy: tensor it copies}");
    for (const auto& [copy, of] : j["aliases"].items()) {
      if (!of.is_string()) throw std::runtime_error("alias " + copy + ": names the tensor it copies");
      m.aliases[copy] = of.get<std::string>();
    }
  }
  if (j.contains("model")) {
    const auto& ms = j["model"];
    if (!ms.is_object()) throw std::runtime_error("\"model\" is an object of model settings");
    for (const auto& [k, v] : ms.items()) {
      if (k == "norm" && v.is_string() && (v == "rms" || v == "layer")) {
        m.model.norm = v.get<std::string>();
      } else if (k == "unscaled_attention" && v.is_boolean()) {
        m.model.unscaled_attention = v.get<bool>();
      } else if (k == "tied_output_rescale" && v.is_boolean()) {
        m.model.tied_output_rescale = v.get<bool>();
      } else if (k == "relative_max_distance" && v.is_number_unsigned() && v.get<uint64_t>() >= 1 &&
                 v.get<uint64_t>() <= 65535) {
        m.model.relative_max_distance = v.get<uint32_t>();
      } else {
        throw std::runtime_error("\"model\": \"" + k +
                                 "\" is unknown or has a bad value (known: norm \"rms\"|\"layer\", "
                                 "unscaled_attention, tied_output_rescale (true|false), relative_max_distance "
                                 "1-65535)");
      }
    }
  }
  for (const auto& [k, v] : j.items()) {
    if (k != "tensors" && k != "positions" && k != "aliases" && k != "model") {
      throw std::runtime_error("unknown top-level key \"" + k + "\" (known: tensors, positions, aliases, model)");
    }
  }
  return m;
}

}  // namespace edgeseq::tools
