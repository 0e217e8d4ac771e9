// A Whisper model with a real vocabulary size for tests: the Hugging Face
// fixture (tests/fixtures/whisper/hf: d 16, 2 + 2 layers, 32 frames, 12
// decoder positions) with its token table grown to n_vocab rows (the new
// rows from a hash: GrownWeight), its end and start ids Whisper's for that size,
// written as a directory edgeseq-convert reads (config.json,
// model.safetensors).
#pragma once

#include <gtest/gtest.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loaders/checkpoint.h"

namespace edgeseq::test {

inline const std::string kWhisperHf = std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper/hf/";

inline std::string WhisperTemp(const std::string& name) {
  return std::string(testing::TempDir()) + "/edgeseq-whisper-vocab-" + std::to_string(getpid()) + "-" + name;
}

// Row r ≥ 60, column j of the grown token table: a 32-bit hash of (r, j)
// as (h % 2001 − 1000) / 1000, divided in double then rounded to float, as
// tests/fixtures/make_whisper_transcribe.py computes it.
inline float GrownWeight(uint64_t r, uint64_t j) {
  uint64_t h = (r * 2654435761u + j * 40503u) & 0xFFFFFFFFu;
  h ^= h >> 15;
  h = (h * 40503u) & 0xFFFFFFFFu;
  h ^= h >> 13;
  return static_cast<float>(static_cast<double>(static_cast<int64_t>(h % 2001) - 1000) / 1000.0);
}

// The Hugging Face fixture with `n_vocab` target tokens (the new rows
// GrownWeight), its end and start ids Whisper's for that size; with
// n_positions > 0, its decoder positions grown to that many (from 12: the new
// rows 0.5 · GrownWeight(r, j), r the row; make_whisper_transcribe.py grows
// them the same way) so that a window has room for timestamp pairs and a
// prompt.
inline std::string HfWhisperWithVocab(uint32_t n_vocab, const std::string& name, uint32_t n_positions = 0) {
  const std::string dir = WhisperTemp(name);
  mkdir(dir.c_str(), 0755);
  std::ifstream cin(kWhisperHf + "config.json");
  nlohmann::json config = nlohmann::json::parse(cin);
  const int32_t eot = n_vocab == 51864 ? 50256 : 50257;
  config["vocab_size"] = n_vocab;
  config["eos_token_id"] = config["bos_token_id"] = config["pad_token_id"] = eot;
  config["decoder_start_token_id"] = eot + 1;
  if (n_positions > 0) config["max_target_positions"] = n_positions;
  std::ofstream(dir + "/config.json") << config.dump(2);
  const loaders::Checkpoint ck = loaders::ReadSafetensors(kWhisperHf + "model.safetensors");
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& t : ck.tensors) {
    EXPECT_EQ(t.type, loaders::ElementType::kFloat) << t.name;
    std::vector<int64_t> shape = t.shape;
    std::vector<uint8_t> bytes = t.Bytes();
    if (t.name == "model.decoder.embed_tokens.weight") {
      const size_t width = static_cast<size_t>(shape[1]);
      std::vector<float> grown(static_cast<size_t>(n_vocab) * width);
      const size_t kept = std::min<size_t>(static_cast<size_t>(shape[0]), n_vocab);
      memcpy(grown.data(), bytes.data(), kept * width * sizeof(float));
      for (size_t r = kept; r < n_vocab; ++r) {
        for (size_t j = 0; j < width; ++j) grown[r * width + j] = GrownWeight(r, j);
      }
      shape[0] = n_vocab;
      bytes.assign(reinterpret_cast<const uint8_t*>(grown.data()),
                   reinterpret_cast<const uint8_t*>(grown.data() + grown.size()));
    }
    if (t.name == "model.decoder.embed_positions.weight" && n_positions > 0) {
      const size_t width = static_cast<size_t>(shape[1]);
      std::vector<float> grown(static_cast<size_t>(n_positions) * width);
      const size_t kept = std::min<size_t>(static_cast<size_t>(shape[0]), n_positions);
      memcpy(grown.data(), bytes.data(), kept * width * sizeof(float));
      for (size_t r = kept; r < n_positions; ++r) {
        for (size_t j = 0; j < width; ++j) grown[r * width + j] = 0.5f * GrownWeight(r, j);
      }
      shape[0] = n_positions;
      bytes.assign(reinterpret_cast<const uint8_t*>(grown.data()),
                   reinterpret_cast<const uint8_t*>(grown.data() + grown.size()));
    }
    header[t.name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  const std::string h = header.dump();
  const uint64_t n = h.size();
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << h << data;
  return dir;
}

// jfk's 11 s as 16 kHz mono PCM in [-1, 1] (tests/fixtures/whisper_audio/
// jfk_16k.s16, the audio front end's reference input): 176,000 samples.
inline std::vector<float> JfkPcm() {
  std::ifstream in(std::string(EDGESEQ_SOURCE_DIR) + "/tests/fixtures/whisper_audio/jfk_16k.s16", std::ios::binary);
  std::vector<float> pcm;
  for (int16_t s; in.read(reinterpret_cast<char*>(&s), sizeof s);) pcm.push_back(s / 32768.0f);
  EXPECT_EQ(pcm.size(), 176000u);
  return pcm;
}

inline void RemoveWhisperDir(const std::string& dir) {
  for (const char* f : {"/config.json", "/model.safetensors"}) remove((dir + f).c_str());
  rmdir(dir.c_str());
}

}  // namespace edgeseq::test
