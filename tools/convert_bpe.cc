#include "tools/convert_bpe.h"

#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "runtime/bpe_tokenizer.h"
#include "runtime/error.h"
#include "tools/convert.h"

namespace edgeseq::tools {
namespace {

using Json = nlohmann::json;

std::string ReadWhole(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConvertError(flag + ": cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Json ParseJson(const std::string& flag, const std::string& path) {
  try {
    return Json::parse(ReadWhole(flag, path));
  } catch (const Json::exception& e) {
    throw ConvertError(flag + ": " + path + " is not JSON (" + e.what() + ")");
  }
}

// Lines without their line break (a trailing CR removed).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    at = nl + 1;
  }
  return lines;
}

// Special-token spelling: <s>, </s>, <pad>, <|endoftext|>, ... (no spaces).
bool LooksSpecial(const std::string& t) {
  if (t.size() < 3 || t.front() != '<' || t.back() != '>') return false;
  for (char c : t) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return false;
  }
  return true;
}

// A JSON object of token → id (vocab.json, tokenizer.json's model.vocab) as
// the id-ordered list it describes: ids 0 .. n-1, each once.
std::vector<std::string> VocabById(const std::string& where, const Json& j, size_t at_least) {
  if (!j.is_object()) throw ConvertError(where + ": expected an object of token → id");
  std::map<uint64_t, std::string> by_id;
  for (const auto& [token, id] : j.items()) {
    if (!id.is_number_unsigned()) throw ConvertError(where + ": the id of '" + token + "' is not a non-negative integer");
    const uint64_t v = id.get<uint64_t>();
    if (v >= (1u << 24)) throw ConvertError(where + ": id " + std::to_string(v) + " of '" + token + "' is too large");
    const auto [it, fresh] = by_id.emplace(v, token);
    if (!fresh) throw ConvertError(where + ": id " + std::to_string(v) + " is both '" + it->second + "' and '" + token + "'");
  }
  std::vector<std::string> out;
  for (const auto& [id, token] : by_id) {
    if (id != out.size()) throw ConvertError(where + ": no token has id " + std::to_string(out.size()));
    out.push_back(token);
  }
  if (out.size() < at_least) throw ConvertError(where + ": " + std::to_string(out.size()) + " tokens, fewer than the 256 bytes");
  return out;
}

struct Merge {
  std::string left, right;
  std::string where;  // for messages: "merges.txt line 7"
};

// The tokenizer from a vocabulary in GPT-2's spelling and ranked merges: its
// BPE tokens are the vocabulary's entries that spell bytes, in id order.
runtime::ByteLevelBpe FromVocabAndMerges(const std::string& flag, const std::vector<std::string>& vocab,
                                         const std::vector<Merge>& merges, std::unordered_set<std::string>* made) {
  std::vector<std::string> tokens;
  std::unordered_map<std::string, int32_t> index;
  std::string bytes;
  for (const std::string& t : vocab) {
    if (!runtime::UnicodeToBytes(t, &bytes)) continue;  // not a byte-level token (an added one)
    index.emplace(t, static_cast<int32_t>(tokens.size()));
    tokens.push_back(bytes);
  }
  std::vector<std::pair<int32_t, int32_t>> pairs;
  std::unordered_set<uint64_t> seen;
  for (const Merge& m : merges) {
    const auto l = index.find(m.left), r = index.find(m.right);
    for (const auto& [it, part] : {std::pair{l, &m.left}, std::pair{r, &m.right}}) {
      if (it == index.end()) throw ConvertError(flag + ": " + m.where + ": '" + *part + "' is not in the vocabulary");
    }
    if (!index.count(m.left + m.right)) {
      throw ConvertError(flag + ": " + m.where + ": '" + m.left + m.right + "' (the merged pair) is not in the vocabulary");
    }
    const uint64_t key = (uint64_t{static_cast<uint32_t>(l->second)} << 32) | static_cast<uint32_t>(r->second);
    if (!seen.insert(key).second) throw ConvertError(flag + ": " + m.where + ": '" + m.left + " " + m.right + "' repeats an earlier merge");
    pairs.emplace_back(l->second, r->second);
    made->insert(m.left + m.right);
  }
  try {
    return runtime::ByteLevelBpe::FromMerges(std::move(tokens), pairs);
  } catch (const runtime::Error& e) {
    throw ConvertError(flag + ": " + e.what());
  }
}

// Vocabulary entries written <...> that BPE cannot make (not a single byte,
// not a merge's result): special tokens, recognized whole in text.
std::vector<runtime::AddedToken> SpecialsOf(const std::vector<std::string>& vocab,
                                            const std::unordered_set<std::string>& made) {
  std::vector<runtime::AddedToken> out;
  std::string bytes;
  for (const std::string& t : vocab) {
    if (!LooksSpecial(t) || made.count(t)) continue;
    if (runtime::UnicodeToBytes(t, &bytes) && bytes.size() == 1) continue;
    out.push_back({t, true});
  }
  return out;
}

void SetAdded(const std::string& flag, runtime::ByteLevelBpe* bpe, std::vector<runtime::AddedToken> added) {
  try {
    bpe->SetAddedTokens(std::move(added));
  } catch (const runtime::Error& e) {
    throw ConvertError(flag + ": " + e.what());
  }
}

BpeTokenizerFile ReadVocabMerges(const std::string& flag, const std::string& files,
                                 const std::vector<std::string>* model_vocab) {
  const size_t comma = files.find(',');
  if (comma == std::string::npos) throw ConvertError(flag + ": bpe: takes VOCAB.json,MERGES.txt");
  const std::string vocab_path = files.substr(0, comma), merges_path = files.substr(comma + 1);
  BpeTokenizerFile out;
  out.vocab = VocabById(flag + ": " + vocab_path, ParseJson(flag, vocab_path), 256);
  std::vector<Merge> merges;
  const auto lines = Lines(ReadWhole(flag, merges_path));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty() || (i == 0 && line.rfind("#version", 0) == 0)) continue;
    const size_t sp = line.find(' ');
    const std::string where = merges_path + " line " + std::to_string(i + 1);
    if (sp == std::string::npos || sp == 0 || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos) {
      throw ConvertError(flag + ": " + where + ": expected two tokens separated by one space");
    }
    merges.push_back({line.substr(0, sp), line.substr(sp + 1), where});
  }
  std::unordered_set<std::string> made;
  runtime::ByteLevelBpe bpe = FromVocabAndMerges(flag, out.vocab, merges, &made);
  SetAdded(flag, &bpe, SpecialsOf(model_vocab ? *model_vocab : out.vocab, made));
  out.section = bpe.ToSection();
  return out;
}

BpeTokenizerFile ReadTokenizerJson(const std::string& flag, const std::string& path) {
  const Json j = ParseJson(flag, path);
  const std::string where = flag + ": " + path;
  auto refuse = [&](const std::string& why) { throw ConvertError(where + ": " + why); };
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) refuse("no \"model\" object");
  const Json& m = j["model"];
  const std::string type = m.value("type", std::string("(none)"));
  if (type != "BPE") refuse("the model is " + type + "; only byte-level BPE models are supported");
  if (m.contains("continuing_subword_prefix") && !m["continuing_subword_prefix"].is_null() &&
      m["continuing_subword_prefix"] != "") {
    refuse("continuing_subword_prefix is not supported");
  }
  if (m.contains("end_of_word_suffix") && !m["end_of_word_suffix"].is_null() && m["end_of_word_suffix"] != "") {
    refuse("end_of_word_suffix is not supported");
  }
  if (m.value("byte_fallback", false)) refuse("byte_fallback is not supported (a byte-level BPE has no need of it)");
  if (m.value("ignore_merges", false)) refuse("ignore_merges is not supported");
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    refuse("the normalizer " + j["normalizer"].value("type", std::string("?")) + " is not supported (none is)");
  }
  const Json pre = j.value("pre_tokenizer", Json());
  if (!pre.is_object() || pre.value("type", std::string()) != "ByteLevel") {
    refuse("the pre-tokenizer is " + (pre.is_object() ? pre.value("type", std::string("?")) : std::string("none")) +
           "; only ByteLevel is supported");
  }
  if (!pre.value("use_regex", true)) refuse("a ByteLevel pre-tokenizer without its regex is not supported");
  if (!m.contains("vocab")) refuse("the model has no vocab");
  BpeTokenizerFile out;
  out.vocab = VocabById(where + " model.vocab", m["vocab"], 256);
  // Added tokens take their ids (new ones extend the vocabulary).
  std::vector<runtime::AddedToken> added;
  std::map<uint64_t, std::string> extra;
  for (const Json& a : j.value("added_tokens", Json::array())) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_unsigned() || !a.contains("content") ||
        !a["content"].is_string()) {
      refuse("an added token without an id and content");
    }
    const uint64_t id = a["id"].get<uint64_t>();
    const std::string content = a["content"].get<std::string>();
    if (id >= (1u << 24)) refuse("added token '" + content + "' has id " + std::to_string(id));
    const std::string* at = id < out.vocab.size() ? &out.vocab[id] : extra.count(id) ? &extra[id] : nullptr;
    if (at && *at != content) refuse("added token '" + content + "' has the id of '" + *at + "'");
    if (!at) extra.emplace(id, content);
    added.push_back({content, a.value("special", false)});
  }
  for (const auto& [id, content] : extra) {
    if (id != out.vocab.size()) refuse("no token has id " + std::to_string(out.vocab.size()));
    out.vocab.push_back(content);
  }
  std::vector<Merge> merges;
  const Json ms = m.value("merges", Json::array());
  if (!ms.is_array()) refuse("model.merges is not a list");
  for (size_t i = 0; i < ms.size(); ++i) {
    const Json& e = ms[i];
    const std::string mw = path + " merge " + std::to_string(i);
    if (e.is_string()) {  // "Ġ t"
      const std::string s = e.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || sp == 0 || sp + 1 == s.size() || s.find(' ', sp + 1) != std::string::npos) {
        throw ConvertError(flag + ": " + mw + ": expected two tokens separated by one space");
      }
      merges.push_back({s.substr(0, sp), s.substr(sp + 1), mw});
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {  // ["Ġ", "t"]
      merges.push_back({e[0].get<std::string>(), e[1].get<std::string>(), mw});
    } else {
      throw ConvertError(flag + ": " + mw + ": expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  std::unordered_set<std::string> made;
  runtime::ByteLevelBpe bpe = FromVocabAndMerges(flag, out.vocab, merges, &made);
  bpe.set_add_prefix_space(pre.value("add_prefix_space", false));
  SetAdded(flag, &bpe, std::move(added));
  out.section = bpe.ToSection();
  return out;
}

runtime::ByteLevelBpe TiktokenFile(const std::string& flag, const std::string& path) {
  try {
    return runtime::ByteLevelBpe::FromTiktoken(ReadWhole(flag, path));
  } catch (const runtime::Error& e) {
    throw ConvertError(flag + ": " + path + ": " + e.what());
  }
}

BpeTokenizerFile ReadTiktoken(const std::string& flag, const std::string& files,
                              const std::vector<std::string>* model_vocab) {
  const size_t comma = files.find(',');
  const std::string path = files.substr(0, comma);
  std::optional<runtime::ByteLevelBpe> bpe;
  bpe.emplace(TiktokenFile(flag, path));
  BpeTokenizerFile out;
  std::unordered_set<std::string> spelt;
  for (size_t i = 0; i < bpe->size(); ++i) {
    out.vocab.push_back(runtime::BytesToUnicode(bpe->Token(static_cast<int32_t>(i))));
    spelt.insert(out.vocab.back());
  }
  std::vector<runtime::AddedToken> added;
  if (comma != std::string::npos) {
    const std::string specials = files.substr(comma + 1);
    const auto lines = Lines(ReadWhole(flag, specials));
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].empty()) {
        if (i + 1 == lines.size()) break;  // the last line's break
        throw ConvertError(flag + ": " + specials + " line " + std::to_string(i + 1) + " is empty");
      }
      added.push_back({lines[i], true});
      out.vocab.push_back(lines[i]);
    }
  } else if (model_vocab) {
    for (const std::string& t : *model_vocab) {
      if (LooksSpecial(t) && !spelt.count(t)) added.push_back({t, true});
    }
  }
  SetAdded(flag, &*bpe, std::move(added));
  out.section = bpe->ToSection();
  return out;
}

}  // namespace

BpeTokenizerFile ReadTiktokenWithSpecials(const std::string& flag, const std::string& path,
                                          const std::function<std::vector<std::string>(size_t)>& specials) {
  const runtime::ByteLevelBpe bpe = TiktokenFile(flag, path);
  std::vector<std::string> tokens;
  for (size_t i = 0; i < bpe.size(); ++i) tokens.emplace_back(bpe.Token(static_cast<int32_t>(i)));
  return RanksWithSpecials(flag, std::move(tokens), specials(bpe.size()));
}

BpeTokenizerFile RanksWithSpecials(const std::string& flag, std::vector<std::string> token_bytes,
                                   std::vector<std::string> specials) {
  BpeTokenizerFile out;
  for (const std::string& t : token_bytes) out.vocab.push_back(runtime::BytesToUnicode(t));
  runtime::ByteLevelBpe bpe = [&] {
    try {
      return runtime::ByteLevelBpe::FromRanks(std::move(token_bytes));
    } catch (const runtime::Error& e) {
      throw ConvertError(flag + ": " + e.what());
    }
  }();
  std::vector<runtime::AddedToken> added;
  for (std::string& text : specials) {
    out.vocab.push_back(text);
    added.push_back({std::move(text), true});
  }
  SetAdded(flag, &bpe, std::move(added));
  out.section = bpe.ToSection();
  return out;
}

bool IsBpeTokenizerSpec(const std::string& spec) {
  for (const char* prefix : {"bpe:", "hf:", "tiktoken:"}) {
    const std::string p(prefix);
    if (spec.size() > p.size() && spec.compare(0, p.size(), p) == 0) return true;
  }
  return false;
}

BpeTokenizerFile ReadBpeTokenizer(const std::string& flag, const std::string& spec,
                                  const std::vector<std::string>* model_vocab) {
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), rest = spec.substr(colon + 1);
  if (kind == "bpe") return ReadVocabMerges(flag, rest, model_vocab);
  if (kind == "hf") return ReadTokenizerJson(flag, rest);
  return ReadTiktoken(flag, rest, model_vocab);
}

}  // namespace edgeseq::tools
