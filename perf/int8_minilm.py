"""Would an int8 MiniLM make a cold rebuild short? Its speed and how far its cosines move.

The rewriters' sentence checks and the meaning measurement (the card's MiniLM cosine, first
256 word pieces) are most of a cold rebuild's CPU time (``perf/cold_build_floor.py``). This
runs both kinds of encoding on one thread with the project's MiniLM in float32 and with
torch's dynamic int8 quantisation of its linear layers (per-tensor and per-channel weights),
on shipped data, and prints the speed-ups and how far the int8 numbers are from float32:
the vectors (cosine to the float32 vector) and the meaning cosines themselves.

    python perf/int8_minilm.py                     # 640 sentences, 40 rewrites
    python perf/int8_minilm.py --rewrites 200
"""
from __future__ import annotations

import argparse
import copy
import os
import time
import warnings

os.environ.setdefault("REWRITE_BENCH_THREADS", "1")  # one core's rate, as cold_build_floor.py measures

import numpy as np  # noqa: E402

from rewrite_bench import embeddings  # noqa: E402
from rewrite_bench.build import BuildConfig, describe_config, rewrites_key  # noqa: E402
from rewrite_bench.prebuilt import find_prebuilt  # noqa: E402
from rewrite_bench.text import split_sentences  # noqa: E402


def _quantised(model, per_channel: bool):
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notices
        return quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear: qconfig}, dtype=torch.qint8)


def _timed(fn):
    started = time.process_time()
    value = fn()
    return value, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=640, help="sentences of the first originals, encoded in batches of 32")
    parser.add_argument("--rewrites", type=int, default=40, help="shipped rewrites spread over the data, measured one by one")
    args = parser.parse_args()

    shipped = find_prebuilt(rewrites_key(describe_config(BuildConfig())))
    if shipped is None:
        raise SystemExit("benchmark/prebuilt is not the default build's data; nothing to measure on")
    originals, rewrites = shipped.read()
    sentences = [s for o in originals for s in split_sentences(o.text)][: args.sentences]
    picked = rewrites[:: max(1, len(rewrites) // args.rewrites)][: args.rewrites]
    source = {o.id: o.text for o in originals}

    def measure(model):
        embeddings.encode(model, sentences[:32])  # warm-up
        vectors, sentence_s = _timed(lambda: embeddings.encode(model, sentences))

        def one_by_one(texts):  # as realism.meaning_cosines does: each text alone, 256 word pieces
            return np.concatenate([embeddings.encode(model, [t], batch_size=1, max_length=256) for t in texts])

        rewritten, text_s = _timed(lambda: one_by_one([r.text for r in picked]))
        sources = one_by_one([source[r.source_id] for r in picked])
        return vectors, rewritten, np.einsum("ij,ij->i", rewritten, sources), len(sentences) / sentence_s, len(picked) / text_s

    base = embeddings.minilm()
    reference = measure(base)
    print(f"{len(sentences)} sentences (batches of 32), {len(picked)} shipped rewrites (one by one, 256 pieces), one thread\n")
    print("| MiniLM | sentences/s | texts/s | min vector cosine to float32 (sentences, texts) "
          "| meaning cosine moved: median, max |\n|---|---|---|---|---|")
    print(f"| float32 | {reference[3]:.1f} | {reference[4]:.2f} | 1, 1 | 0, 0 |")
    for name, per_channel in (("int8 per-tensor", False), ("int8 per-channel", True)):
        vectors, rewritten, cosines, sentence_rate, text_rate = measure(_quantised(base, per_channel))
        moved = np.abs(cosines - reference[2])
        print(f"| {name} | {sentence_rate:.1f} ({sentence_rate / reference[3]:.2f}x) | {text_rate:.2f} "
              f"({text_rate / reference[4]:.2f}x) | {np.einsum('ij,ij->i', vectors, reference[0]).min():.3f}, "
              f"{np.einsum('ij,ij->i', rewritten, reference[1]).min():.3f} | {np.median(moved):.3f}, {moved.max():.3f} |")


if __name__ == "__main__":
    main()
