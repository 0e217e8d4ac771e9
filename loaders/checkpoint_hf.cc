#include "loaders/checkpoint_hf.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "loaders/mapped_file.h"

namespace edgeseq::loaders {
namespace {

// A sharded checkpoint: {"metadata": {...}, "weight_map": {tensor: shard}}.
Checkpoint ReadSharded(const std::string& dir, const std::string& index_name) {
  const std::string index_path = dir + "/" + index_name;
  nlohmann::json index;
  {
    std::ifstream in(index_path);
    if (!in) throw CheckpointError(index_path + ": cannot open");
    try {
      index = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw CheckpointError(index_path + ": not valid JSON: " + e.what());
    }
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw CheckpointError(index_path + ": no \"weight_map\" object (tensor name to shard file)");
  }
  // Tensor → shard, and the shards in a stable order.
  std::map<std::string, std::string> where;
  std::set<std::string> shards;
  for (const auto& [name, shard] : index["weight_map"].items()) {
    if (!shard.is_string()) throw CheckpointError(index_path + ": the shard of " + name + " is not a file name");
    const std::string file = shard.get<std::string>();
    // Shards lie beside the index: a path could read any file on the system.
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      throw CheckpointError(index_path + ": shard '" + file + "' (for " + name + ") is not a file name in " + dir);
    }
    where[name] = file;
    shards.insert(file);
  }
  if (shards.empty()) throw CheckpointError(index_path + ": the weight_map names no tensor");
  for (const std::string& shard : shards) {
    if (!IsRegularFile(dir + "/" + shard)) {
      throw CheckpointError(index_path + " names shard " + shard + ", which is not in " + dir);
    }
  }
  Checkpoint out;
  std::set<std::string> seen;
  for (const std::string& shard : shards) {
    Checkpoint part = ReadCheckpoint(dir + "/" + shard);
    if (out.format.empty()) out.format = part.format;
    for (SourceTensor& t : part.tensors) {
      const auto it = where.find(t.name);
      if (it == where.end()) {
        throw CheckpointError(dir + "/" + shard + " holds " + t.name + ", which " + index_name + " does not name");
      }
      if (it->second != shard) {
        throw CheckpointError(dir + "/" + shard + " holds " + t.name + ", which " + index_name + " places in " +
                              it->second);
      }
      if (!seen.insert(t.name).second) throw CheckpointError(dir + "/" + shard + " holds " + t.name + " twice");
      out.tensors.push_back(std::move(t));
    }
  }
  for (const auto& [name, shard] : where) {
    if (!seen.count(name)) {
      throw CheckpointError(index_name + " places " + name + " in " + shard + ", which does not hold it");
    }
  }
  out.root = "state dict in " + std::to_string(shards.size()) + " shard(s) (" + index_name + ")";
  return out;
}

}  // namespace

Checkpoint ReadHfWeights(const std::string& dir, std::string* source) {
  for (const char* name :
       {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"}) {
    if (!IsRegularFile(dir + "/" + name)) continue;
    if (source) *source = name;
    const std::string n = name;
    if (n.size() > 11 && n.compare(n.size() - 11, 11, ".index.json") == 0) return ReadSharded(dir, n);
    return ReadCheckpoint(dir + "/" + n);
  }
  throw CheckpointError(dir + ": no weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin "
                        "or pytorch_model.bin.index.json)");
}

}  // namespace edgeseq::loaders
