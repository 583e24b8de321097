"""How many of 20 self-written non-disaster emergencies a model calls darurat or alerts on.

The gold set holds few emergencies that are not disasters (violence going on,
a child abused, a patient refused care, poisoning), because the sources hold
few. These 20 complaints were written for this probe, in the informal style of
the sources; none is from a real person. Too few to compare models finely:
read it as a smoke test of the emergency path, not as a measure.

    python benchmarks/emergency_probe.py [--model DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from salur.model.classifier import Classifier

from salur.paths import default_model_dir

PROBE = Path(__file__).resolve().parent / "data" / "emergency_probe.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    texts = [line for line in PROBE.read_text(encoding="utf-8").splitlines() if line.strip()]
    classifier = Classifier.load(args.model or default_model_dir())
    predictions = classifier.predict(texts, explain=False)
    called = [p.heads["urgency"].code == "darurat" for p in predictions]
    alerted = [bool(p.emergency and p.emergency.raised) for p in predictions]
    print(f"model {classifier.version}: {len(texts)} self-written emergencies")
    print(f"  called darurat          {sum(called)}")
    print(f"  called darurat or alert {sum(c or a for c, a in zip(called, alerted, strict=True))}")
    print("  urgency per complaint:  " + " ".join(p.heads["urgency"].code for p in predictions))


if __name__ == "__main__":
    main()
