"""Documents per second of `salur classify`'s prediction path, cached vs uncached stemming.

Runs on one core (threads pinned to 1) over N real complaints from datasets/,
repeating each measurement and printing medians and their ratio:

    python benchmarks/classify_speed.py --n 10000 --repeats 3

Three pipelines, identical but for the stemming step:
  memo      : the shipped pipeline (training-vocabulary stems + per-process memo)
  uncached  : SastrawiStemmer(memo=False): every token goes through Sastrawi
              (with the dictionary-as-set fix that salur applies)
  stock     : Sastrawi's own stemmer exactly as shipped (list dictionary, whole
              text per call), timed on a small sample and extrapolated, since
              10,000 documents would take hours.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from salur.model.classifier import Classifier  # noqa: E402
from salur.training.sources import load_all  # noqa: E402

from salur.paths import default_model_dir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(function, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stock-sample", type=int, default=20)
    parser.add_argument("--model", type=Path, default=default_model_dir())
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    frame = load_all(ROOT / "datasets" / "raw", ["surabaya", "bandung", "purbalingga"])
    texts = frame["text"].sample(n=min(args.n, len(frame)), random_state=0).tolist()
    titles = [None] * len(texts)
    classifier = Classifier.load(args.model)

    def run_memo() -> None:
        classifier.predict(texts, titles, explain=False)

    memo = timed(run_memo, args.repeats)
    stemmer = classifier.pipeline.named_steps["stem"]
    stemmer.set_params(memo=False)
    try:
        uncached = timed(run_memo, 1 if args.repeats < 2 else 2)
    finally:
        stemmer.set_params(memo=True)

    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stock_stemmer = StemmerFactory().create_stemmer().delegatedStemmer  # as shipped, no fix
    normalize = classifier.pipeline.named_steps["normalize"]
    sample = normalize.transform(texts[: args.stock_sample])
    start = time.perf_counter()
    for document in sample:
        stock_stemmer.stem(document)
    stock_per_doc = (time.perf_counter() - start) / len(sample)

    n = len(texts)
    memo_rate = n / statistics.median(memo)
    uncached_rate = n / statistics.median(uncached)
    stock_rate = 1.0 / stock_per_doc
    print(f"documents: {n}, one core, model {classifier.version}")
    print(
        f"memo      : median {statistics.median(memo):7.2f} s  -> {memo_rate:8.0f} docs/s  (runs {len(memo)})"
    )
    print(
        f"uncached  : median {statistics.median(uncached):7.2f} s  -> {uncached_rate:8.0f} docs/s  (runs {len(uncached)})"
    )
    print(
        f"stock     : {stock_per_doc * 1000:7.1f} ms/doc (on {len(sample)} docs) -> {stock_rate:8.2f} docs/s"
    )
    print(f"ratio memo/uncached : {memo_rate / uncached_rate:6.1f}x")
    print(f"ratio memo/stock    : {memo_rate / stock_rate:6.0f}x")


if __name__ == "__main__":
    main()
