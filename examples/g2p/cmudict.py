"""The CMU pronouncing dictionary as Debian's festlex-cmu ships it
(Festival's syllabified format), as (letters, phones) pairs with a
deterministic train/dev/test split. Shared by train.py and evaluate."""
import hashlib
import re

CMUDICT = "/usr/share/festival/dicts/cmu/cmudict-0.4.out"
VOWELS = {"aa", "ae", "ah", "ao", "aw", "ax", "axr", "ay", "eh", "er", "ey", "ih", "ix", "iy", "ow", "oy",
          "uh", "uw"}
SPECIALS = ["<unk>", "<pad>", "<s>", "</s>"]  # ids 0..3, as in PyTorch's tutorial
UNK, PAD, BOS, EOS = 0, 1, 2, 3

_ENTRY = re.compile(r'^\("(.*?)" \S+ \((.*)\)\)\s*$')
_SYLLABLE = re.compile(r"\(\(([^()]*)\) (\d)\)")


def parse(path=CMUDICT):
    """{word: [pronunciation, ...]}; a pronunciation is a tuple of phones,
    vowels carrying their syllable's stress ("ey1")."""
    words = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            m = _ENTRY.match(line)
            if not m:
                continue
            word = m.group(1).lower()
            if not re.fullmatch(r"[a-z]+", word):
                continue
            phones = []
            for syl, stress in _SYLLABLE.findall(m.group(2)):
                for p in syl.split():
                    phones.append(p + stress if p in VOWELS else p)
            if phones:
                prons = words.setdefault(word, [])
                if tuple(phones) not in prons:
                    prons.append(tuple(phones))
    return words


def split_of(word):
    """'train' (90%), 'dev' (5%) or 'test' (5%), by a hash of the word, so all
    pronunciations of a word share a split and the split never changes."""
    h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 90 else ("dev" if h < 95 else "test")


def strip_stress(phones):
    return tuple(p.rstrip("012") for p in phones)


def vocabularies(words):
    letters = sorted({c for w in words for c in w})
    phones = sorted({p for prons in words.values() for pron in prons for p in pron})
    return SPECIALS + letters, SPECIALS + phones
