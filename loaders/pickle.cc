#include "loaders/pickle.h"

#include <stdio.h>
#include <string.h>

#include <charconv>
#include <unordered_map>

#include "loaders/checkpoint_error.h"

namespace edgeseq::loaders::pickle {
namespace {

// Bounds that keep a hostile pickle from exhausting memory: every object we
// create costs at least one opcode byte, so these only cap pathological cases.
constexpr size_t kMaxStack = 1 << 22;
constexpr size_t kMaxMemo = 1 << 22;
constexpr size_t kMaxValues = 1 << 24;


bool StorageTypeFromName(const std::string& full, StorageType* t) {
  static const std::unordered_map<std::string, StorageType> kTypes = {
      {"torch.FloatStorage", StorageType::kFloat},   {"torch.HalfStorage", StorageType::kHalf},
      {"torch.BFloat16Storage", StorageType::kBFloat16}, {"torch.DoubleStorage", StorageType::kDouble},
      {"torch.LongStorage", StorageType::kLong},     {"torch.IntStorage", StorageType::kInt},
      {"torch.ShortStorage", StorageType::kShort},   {"torch.CharStorage", StorageType::kChar},
      {"torch.ByteStorage", StorageType::kByte},     {"torch.BoolStorage", StorageType::kBool},
  };
  const auto it = kTypes.find(full);
  if (it == kTypes.end()) return false;
  *t = it->second;
  return true;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const PersistentLoad& pl, Arena& arena)
      : p_(data), n_(size), pl_(pl), arena_(arena) {}

  ValuePtr Run() {
    while (true) {
      if (pos_ >= n_) Fail("ends without STOP");
      op_at_ = pos_;
      const uint8_t op = p_[pos_++];
      switch (op) {
        case 0x80: Proto(Byte()); break;                            // PROTO
        case 0x95: Bytes(8); break;                                 // FRAME (protocol 4)
        case '.': return Pop();                                     // STOP
        case '(': marks_.push_back(stack_.size()); break;           // MARK
        case '0': Pop(); break;                                     // POP
        case '1': PopMark(); break;                                 // POP_MARK
        case '2': Push(Top()); break;                               // DUP
        case 'N': Push(arena_.Make(Kind::kNone)); break;                   // NONE
        case 0x88: PushBool(true); break;                           // NEWTRUE
        case 0x89: PushBool(false); break;                          // NEWFALSE
        case 'I': TextInt(Line(), true); break;                     // INT ("01"/"00": bools, protocol 0/1)
        case 'L': TextInt(Line(), false); break;                    // LONG (decimal, trailing 'L')
        case 'F': TextFloat(Line()); break;                         // FLOAT (repr)
        case 'S': QuotedString(Line()); break;                      // STRING (Python 2 repr)
        case 'V': RawUnicode(Line()); break;                        // UNICODE (raw-unicode-escape)
        case 'J': PushInt(static_cast<int32_t>(U32())); break;      // BININT
        case 'K': PushInt(Byte()); break;                           // BININT1
        case 'M': PushInt(U16()); break;                            // BININT2
        case 0x8a: BinLong(Byte()); break;                          // LONG1
        case 0x8b: BinLong(U32()); break;                           // LONG4
        case 'G': PushFloat(); break;                               // BINFLOAT
        case 'X': PushString(Kind::kString, U32()); break;          // BINUNICODE
        case 0x8c: PushString(Kind::kString, Byte()); break;        // SHORT_BINUNICODE
        case 0x8d: PushString(Kind::kString, U64()); break;         // BINUNICODE8
        case 'T': PushString(Kind::kString, U32()); break;          // BINSTRING
        case 'U': PushString(Kind::kString, Byte()); break;         // SHORT_BINSTRING
        case 'B': PushString(Kind::kBytes, U32()); break;           // BINBYTES
        case 'C': PushString(Kind::kBytes, Byte()); break;          // SHORT_BINBYTES
        case 0x8e: PushString(Kind::kBytes, U64()); break;          // BINBYTES8
        case 0x96: PushString(Kind::kBytes, U64()); break;          // BYTEARRAY8 (kept as bytes)
        case 0x97: Fail("out-of-band buffer (protocol 5 NEXT_BUFFER): torch.save never writes one"); break;
        case 0x98: Top(); break;                                    // READONLY_BUFFER: no-op here
        case ')': Push(arena_.Make(Kind::kTuple)); break;                  // EMPTY_TUPLE
        case 't': { auto t = arena_.Make(Kind::kTuple); t->items = PopMark(); Push(t); break; }  // TUPLE
        case 0x85: TupleN(1); break;                                // TUPLE1
        case 0x86: TupleN(2); break;                                // TUPLE2
        case 0x87: TupleN(3); break;                                // TUPLE3
        case ']': Push(arena_.Make(Kind::kList)); break;                   // EMPTY_LIST
        case 'l': { auto l = arena_.Make(Kind::kList); l->items = PopMark(); Push(l); break; }  // LIST
        case 'a': { auto v = Pop(); Container(Kind::kList)->items.push_back(v); break; }  // APPEND
        case 'e': { auto vs = PopMark(); auto l = Container(Kind::kList); for (auto& v : vs) l->items.push_back(v); break; }  // APPENDS
        case 0x8f: Push(arena_.Make(Kind::kList)); break;                  // EMPTY_SET (kept as a list)
        case 0x90: { auto vs = PopMark(); auto l = Container(Kind::kList); for (auto& v : vs) l->items.push_back(v); break; }  // ADDITEMS
        case 0x91: { auto l = arena_.Make(Kind::kList); l->items = PopMark(); Push(l); break; }  // FROZENSET
        case '}': Push(arena_.Make(Kind::kDict)); break;                   // EMPTY_DICT
        case 'd': { auto d = arena_.Make(Kind::kDict); Pairs(PopMark(), d); Push(d); break; }  // DICT
        case 's': { auto v = Pop(); auto k = Pop(); Container(Kind::kDict)->dict.push_back({k, v}); break; }  // SETITEM
        case 'u': { auto vs = PopMark(); Pairs(vs, Container(Kind::kDict)); break; }  // SETITEMS
        case 'p': MemoPut(Decimal(Line(), "PUT")); break;           // PUT
        case 'g': MemoGet(Decimal(Line(), "GET")); break;           // GET
        case 'q': MemoPut(Byte()); break;                           // BINPUT
        case 'r': MemoPut(U32()); break;                            // LONG_BINPUT
        case 0x94: MemoPut(memo_.size()); break;                    // MEMOIZE
        case 'h': MemoGet(Byte()); break;                           // BINGET
        case 'j': MemoGet(U32()); break;                            // LONG_BINGET
        case 'c': { const std::string mod = Line(); Global(mod, Line()); break; }  // GLOBAL
        case 'i': { const std::string mod = Line(); Global(mod, Line());            // INST
                    auto cls = Pop(); Push(Call(cls, TupleOf(PopMark()))); break; }
        case 'o': { auto vs = PopMark(); if (vs.empty()) Fail("OBJ without a class");  // OBJ
                    auto cls = vs.front(); vs.erase(vs.begin()); Push(Call(cls, TupleOf(std::move(vs)))); break; }
        case 0x82: case 0x83: case 0x84:                            // EXT1, EXT2, EXT4
          Fail("extension registry reference (EXT opcode): there is no copyreg registry to resolve it");
        case 0x93: { auto name = Pop(); auto mod = Pop(); StackGlobal(mod, name); break; }  // STACK_GLOBAL
        case 'R': { auto args = Pop(); auto fn = Pop(); Push(Call(fn, args)); break; }  // REDUCE
        case 0x81: { auto args = Pop(); auto cls = Pop(); Push(Call(cls, args)); break; }  // NEWOBJ
        case 0x92: { Pop(); auto args = Pop(); auto cls = Pop(); Push(Call(cls, args)); break; }  // NEWOBJ_EX
        case 'b': { auto state = Pop(); Build(Top(), state); break; }  // BUILD
        case 'Q': { auto pid = Pop(); Push(Persistent(pid)); break; }  // BINPERSID
        case 'P': { auto pid = arena_.Make(Kind::kString); pid->s = Line(); Push(Persistent(pid)); break; }  // PERSID
        default: {
          char hex[8];
          snprintf(hex, sizeof(hex), "0x%02x", op);
          Fail(std::string("unsupported pickle opcode ") + hex);
        }
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw CheckpointError("pickle: " + what + " (at byte " + std::to_string(op_at_) + ")");
  }

  const uint8_t* Bytes(uint64_t k) {
    if (k > n_ - pos_) Fail("truncated");
    const uint8_t* b = p_ + pos_;
    pos_ += k;
    return b;
  }
  uint8_t Byte() { return *Bytes(1); }
  uint16_t U16() { uint16_t v; memcpy(&v, Bytes(2), 2); return v; }
  uint32_t U32() { uint32_t v; memcpy(&v, Bytes(4), 4); return v; }
  uint64_t U64() { uint64_t v; memcpy(&v, Bytes(8), 8); return v; }
  void BinLong(uint64_t len) {
    const uint8_t* b = Bytes(len);
    if (len > 8) return PushWide();
    uint64_t v = 0;
    for (uint64_t k = 0; k < len; ++k) v |= uint64_t{b[k]} << (8 * k);
    if (len > 0 && len < 8 && (b[len - 1] & 0x80)) v |= ~uint64_t{0} << (8 * len);  // sign-extend
    PushInt(static_cast<int64_t>(v));
  }
  std::string Line() {
    const uint8_t* start = p_ + pos_;
    const void* nl = memchr(start, '\n', n_ - pos_);
    if (!nl) Fail("unterminated text argument");
    const size_t len = static_cast<const uint8_t*>(nl) - start;
    pos_ += len + 1;
    return std::string(reinterpret_cast<const char*>(start), len);
  }

  void Proto(uint8_t version) {
    if (version > 5) Fail("pickle protocol " + std::to_string(version) + " is newer than 5");
  }
  ValuePtr TupleOf(std::vector<ValuePtr> items) {
    auto t = arena_.Make(Kind::kTuple);
    t->items = std::move(items);
    return t;
  }
  uint64_t Decimal(const std::string& line, const char* what) {
    uint64_t v = 0;
    const auto r = std::from_chars(line.data(), line.data() + line.size(), v);
    if (r.ec != std::errc() || r.ptr != line.data() + line.size()) Fail(std::string("bad ") + what + " index");
    return v;
  }
  // INT and LONG as text. Protocols 0 and 1 write True/False as INT "01"/"00".
  void TextInt(std::string line, bool is_int) {
    if (is_int && line == "01") return PushBool(true);
    if (is_int && line == "00") return PushBool(false);
    if (!is_int && !line.empty() && line.back() == 'L') line.pop_back();
    const char* b = line.data() + (!line.empty() && line[0] == '+');
    int64_t v = 0;
    const auto r = std::from_chars(b, line.data() + line.size(), v);
    if (r.ptr != line.data() + line.size() || line.empty()) Fail("bad integer text");
    if (r.ec == std::errc::result_out_of_range) return PushWide();
    if (r.ec != std::errc()) Fail("bad integer text");
    PushInt(v);
  }
  // An integer beyond 64 bits (a legal Python int): kept as an inert
  // placeholder, so it fails only where a number is actually needed.
  void PushWide() {
    auto o = arena_.Make(Kind::kObject);
    o->s = "builtins.int (wider than 64 bits)";
    Push(o);
  }
  void TextFloat(const std::string& line) {
    double d = 0;
    const auto r = std::from_chars(line.data(), line.data() + line.size(), d);
    if (r.ec != std::errc() || r.ptr != line.data() + line.size() || line.empty()) Fail("bad float text");
    auto v = arena_.Make(Kind::kFloat);
    v->f = d;
    Push(v);
  }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // STRING: a quoted Python 2 string literal (codecs.escape_decode rules).
  void QuotedString(const std::string& line) {
    if (line.size() < 2 || line.front() != line.back() || (line[0] != '\'' && line[0] != '"')) {
      Fail("STRING argument is not quoted");
    }
    const std::string in = line.substr(1, line.size() - 2);
    std::string out;
    for (size_t k = 0; k < in.size(); ++k) {
      if (in[k] != '\\') {
        out += in[k];
        continue;
      }
      if (++k == in.size()) Fail("STRING ends with a backslash");
      const char c = in[k];
      static const char kFrom[] = "\\'\"abfnrtv", kTo[] = "\\'\"\a\b\f\n\r\t\v";
      if (const char* f = c ? strchr(kFrom, c) : nullptr) {
        out += kTo[f - kFrom];
      } else if (c == 'x') {
        if (k + 2 >= in.size() || Hex(in[k + 1]) < 0 || Hex(in[k + 2]) < 0) Fail("bad \\x escape in STRING");
        out += static_cast<char>(Hex(in[k + 1]) * 16 + Hex(in[k + 2]));
        k += 2;
      } else if (c >= '0' && c <= '7') {
        int v = c - '0';
        for (int d = 0; d < 2 && k + 1 < in.size() && in[k + 1] >= '0' && in[k + 1] <= '7'; ++d) {
          v = v * 8 + (in[++k] - '0');
        }
        out += static_cast<char>(v);
      } else {  // not an escape: kept as written
        out += '\\';
        out += c;
      }
    }
    auto v = arena_.Make(Kind::kString);
    v->s = std::move(out);
    Push(v);
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  // UNICODE: raw-unicode-escape, i.e. latin-1 bytes plus \uXXXX and
  // \UXXXXXXXX; stored as UTF-8 like the binary string opcodes.
  void RawUnicode(const std::string& line) {
    std::string out;
    for (size_t k = 0; k < line.size(); ++k) {
      const size_t digits = line[k] == '\\' && k + 1 < line.size() ? (line[k + 1] == 'u' ? 4 : line[k + 1] == 'U' ? 8 : 0) : 0;
      if (digits && k + 1 + digits < line.size()) {
        uint32_t cp = 0;
        bool ok = true;
        for (size_t d = 0; d < digits; ++d) {
          const int h = Hex(line[k + 2 + d]);
          ok = ok && h >= 0;
          cp = cp * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
        }
        if (ok && cp <= 0x10ffff) {
          AppendUtf8(out, cp);
          k += 1 + digits;
          continue;
        }
      }
      AppendUtf8(out, static_cast<uint8_t>(line[k]));
    }
    auto v = arena_.Make(Kind::kString);
    v->s = std::move(out);
    Push(v);
  }

  void Push(ValuePtr v) {
    if (stack_.size() >= kMaxStack || ++values_ > kMaxValues) Fail("too many objects");
    stack_.push_back(std::move(v));
  }
  ValuePtr Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) Fail("stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  const ValuePtr& Top() {
    if (stack_.empty()) Fail("stack underflow");
    return stack_.back();
  }
  std::vector<ValuePtr> PopMark() {
    if (marks_.empty()) Fail("no MARK");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> out(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return out;
  }
  ValuePtr Container(Kind k) {
    const ValuePtr& c = Top();
    if (c->kind != k) Fail(k == Kind::kList ? "APPEND to a non-list" : "SETITEM on a non-dict");
    return c;
  }
  void Pairs(const std::vector<ValuePtr>& vs, const ValuePtr& d) {
    if (vs.size() % 2) Fail("odd number of dict items");
    for (size_t k = 0; k < vs.size(); k += 2) d->dict.push_back({vs[k], vs[k + 1]});
  }
  void TupleN(size_t n) {
    auto t = arena_.Make(Kind::kTuple);
    t->items.resize(n);
    for (size_t k = n; k-- > 0;) t->items[k] = Pop();
    Push(t);
  }
  void PushBool(bool b) { auto v = arena_.Make(Kind::kBool); v->b = b; Push(v); }
  void PushInt(int64_t i) { auto v = arena_.Make(Kind::kInt); v->i = i; Push(v); }
  void PushFloat() {
    const uint8_t* b = Bytes(8);
    uint64_t bits = 0;
    for (int k = 0; k < 8; ++k) bits = (bits << 8) | b[k];  // big-endian
    auto v = arena_.Make(Kind::kFloat);
    memcpy(&v->f, &bits, 8);
    Push(v);
  }
  void PushString(Kind k, uint64_t len) {
    const uint8_t* b = Bytes(len);
    auto v = arena_.Make(k);
    v->s.assign(reinterpret_cast<const char*>(b), len);
    Push(v);
  }
  void MemoPut(uint64_t idx) {
    if (idx >= kMaxMemo) Fail("memo index too large");
    if (memo_.size() <= idx) memo_.resize(idx + 1);
    memo_[idx] = Top();
  }
  void MemoGet(uint64_t idx) {
    if (idx >= memo_.size() || !memo_[idx]) Fail("memo index " + std::to_string(idx) + " was never stored");
    Push(memo_[idx]);
  }
  void Global(const std::string& module, const std::string& name) {
    if (IsDangerousGlobal(module, name)) {
      throw CheckpointError("pickle: refused: the file reaches for " + module + "." + name +
                            ", which no checkpoint needs (an attack?); nothing was run");
    }
    // Protocols 0-2 write Python 2 module names (pickle's fix_imports).
    static const std::pair<const char*, const char*> kPython2[] = {{"__builtin__", "builtins"},
                                                                    {"copy_reg", "copyreg"}};
    std::string mod = module;
    for (const auto& [from, to] : kPython2) {
      if (mod == from) mod = to;
    }
    auto g = arena_.Make(Kind::kGlobal);
    g->s = mod + "." + name;
    Push(g);
  }
  void StackGlobal(const ValuePtr& mod, const ValuePtr& name) {
    if (mod->kind != Kind::kString || name->kind != Kind::kString) Fail("STACK_GLOBAL needs two strings");
    Global(mod->s, name->s);
  }

  ValuePtr Persistent(ValuePtr pid) {
    if (!pl_) Fail("persistent id without a loader");
    return pl_(pid);
  }

  // Calls are never executed: known torch rebuild functions are interpreted,
  // everything else becomes a placeholder object.
  ValuePtr Call(const ValuePtr& fn, const ValuePtr& args) {
    if (fn->kind != Kind::kGlobal) {
      // e.g. calling a placeholder: keep it inert.
      auto o = arena_.Make(Kind::kObject);
      o->s = fn->kind == Kind::kObject ? fn->s : "<call>";
      if (args->kind == Kind::kTuple) o->items = args->items;
      return o;
    }
    if (args->kind != Kind::kTuple) Fail("call arguments are not a tuple");
    const std::string& name = fn->s;
    const auto& a = args->items;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor" ||
        name == "torch._utils._rebuild_tensor_v3") {  // v3 (PyTorch >= 2.1): the same first four arguments
      if (a.size() < 4) Fail(name + " with " + std::to_string(a.size()) + " arguments");
      auto t = arena_.Make(Kind::kTensor);
      if (a[0]->kind != Kind::kStorage) Fail("tensor without a storage");
      t->storage = a[0];
      if (a[1]->kind != Kind::kInt) Fail("tensor storage offset is not an integer");
      t->storage_offset = a[1]->i;
      t->shape = Ints(a[2], "size");
      t->stride = Ints(a[3], "stride");
      if (t->shape.size() != t->stride.size()) Fail("tensor size and stride lengths differ");
      return t;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != Kind::kTensor) Fail("parameter without a tensor");
      return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2" && a.size() >= 3 && a[0]->kind == Kind::kGlobal &&
        a[0]->s != name && a[2]->kind == Kind::kTuple) {
      return Call(a[0], a[2]);  // a tensor subclass: rebuild the plain tensor inside it
    }
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      auto d = arena_.Make(Kind::kDict);
      if (!a.empty() && a[0]->kind == Kind::kList) {
        for (const auto& pair : a[0]->items) {
          if (pair->kind == Kind::kTuple && pair->items.size() == 2) d->dict.push_back({pair->items[0], pair->items[1]});
        }
      }
      return d;
    }
    if ((name == "builtins.set" || name == "builtins.frozenset") && a.size() <= 1) {
      auto l = arena_.Make(Kind::kList);  // as EMPTY_SET/FROZENSET (protocol 4) give
      if (!a.empty() && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple)) l->items = a[0]->items;
      return l;
    }
    if (name == "copyreg._reconstructor" && !a.empty() && a[0]->kind == Kind::kGlobal) {
      auto o = arena_.Make(Kind::kObject);  // an instance of a[0] built without calling anything
      o->s = a[0]->s;
      return o;
    }
    // Everything else, builtins.getattr included (a bound method, e.g. a
    // registered hook, pickles as getattr(obj, "name")): an inert
    // placeholder. Nothing is looked up or called, so it cannot reach code.
    auto o = arena_.Make(Kind::kObject);
    o->s = name;
    o->items = a;
    return o;
  }

  std::vector<int64_t> Ints(const ValuePtr& v, const char* what) {
    if (v->kind != Kind::kTuple && v->kind != Kind::kList) Fail(std::string("tensor ") + what + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& x : v->items) {
      if (x->kind != Kind::kInt) Fail(std::string("tensor ") + what + " has a non-integer");
      out.push_back(x->i);
    }
    return out;
  }

  void Build(const ValuePtr& obj, const ValuePtr& state) {
    if (obj->kind == Kind::kObject) obj->state = state;
    // BUILD on dicts (OrderedDict._metadata), tensors or globals sets Python
    // attributes that carry no weights: ignored.
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0, op_at_ = 0, values_ = 0;
  const PersistentLoad& pl_;
  Arena& arena_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::vector<ValuePtr> memo_;
};

}  // namespace

size_t StorageElementSize(StorageType t) {
  switch (t) {
    case StorageType::kFloat: case StorageType::kInt: return 4;
    case StorageType::kHalf: case StorageType::kBFloat16: case StorageType::kShort: return 2;
    case StorageType::kDouble: case StorageType::kLong: return 8;
    case StorageType::kChar: case StorageType::kByte: case StorageType::kBool: return 1;
  }
  return 0;
}

const char* StorageTypeName(StorageType t) {
  switch (t) {
    case StorageType::kFloat: return "float32";
    case StorageType::kHalf: return "float16";
    case StorageType::kBFloat16: return "bfloat16";
    case StorageType::kDouble: return "float64";
    case StorageType::kLong: return "int64";
    case StorageType::kInt: return "int32";
    case StorageType::kShort: return "int16";
    case StorageType::kChar: return "int8";
    case StorageType::kByte: return "uint8";
    case StorageType::kBool: return "bool";
  }
  return "?";
}

bool StorageTypeFromGlobal(const std::string& full, StorageType* t) { return StorageTypeFromName(full, t); }

bool IsDangerousGlobal(const std::string& module, const std::string& name) {
  // Whole modules whose every callable runs programs, touches files or the
  // network, or loads more code.
  static const char* kModules[] = {"os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "pty",
                                   "runpy", "importlib", "ctypes", "multiprocessing", "webbrowser", "code",
                                   "codeop", "pickle", "_pickle", "marshal", "platform", "signal", "asyncio",
                                   "commands", "popen2", "timeit", "pdb", "bdb", "tempfile", "glob", "pathlib",
                                   "http", "urllib", "ftplib", "smtplib", "telnetlib"};
  const std::string root = module.substr(0, module.find('.'));
  for (const char* m : kModules) {
    if (root == m) return true;
  }
  if (module == "builtins" || module == "__builtin__" || module == "__builtins__") {
    static const char* kNames[] = {"eval", "exec", "execfile", "compile", "__import__", "setattr",
                                   "delattr", "open", "input", "globals", "locals", "vars", "breakpoint",
                                   "apply", "help", "memoryview", "exit", "quit"};
    for (const char* n : kNames) {
      if (name == n) return true;
    }
  }
  if (module == "torch" && (name == "load" || name == "save")) return true;
  if (module == "numpy" && (name == "load" || name == "fromfile")) return true;
  return false;
}

Value* Arena::Make(Kind kind) {
  Value& v = values_.emplace_back();
  v.kind = kind;
  return &v;
}

ValuePtr Unpickle(const uint8_t* data, size_t size, const PersistentLoad& persistent_load, Arena& arena) {
  return Unpickler(data, size, persistent_load, arena).Run();
}

}  // namespace edgeseq::loaders::pickle
