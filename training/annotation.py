"""Draw the complaints that people read and label for urgency, and add their labels.

No set has an urgency label, so the gold set is written by hand. Urgent
complaints are rare, so part of each round is drawn from complaints that
mention a term, or that a model rates likely to be a rare class; the terms and
the model only choose what gets read, never the label. A round:

    python -m salur.training.annotation draw --plan datasets/annotations/round7_strata.yaml \
        --output round7.csv          # rows to read: uid, source, stratum, title, text
    # people read every row and write uid,urgency,reason (one file per reader)
    python -m salur.training.annotation add --drawn round7.csv --labels reader1.csv \
        --round 7 --annotator reader1

``round7.csv`` holds complaint text with names in it: hand it to the readers
only, and delete it after the round.
"""

from __future__ import annotations

import argparse
import fcntl
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from salur.model.artifact import ModelLoadError
from salur.model.classifier import Classifier
from salur.model.files import replaced_on_success
from salur.model.pii import mask_pii
from salur.model.taxonomy import load_taxonomy
from salur.model.text import compose_document
from salur.training.dataset import DataPaths
from salur.training.sources import load_all
from salur.training.train import TrainConfig

from salur.paths import default_config_path, default_model_dir

GOLD_COLUMNS = ("uid", "source", "urgency", "reason", "annotator", "round", "stratum")
DRAWN_COLUMNS = ("uid", "source", "stratum", "title", "text")
LABEL_COLUMNS = ("uid", "urgency", "reason")


class AnnotationError(ValueError):
    """A labels file or plan that cannot be added as it is; the message says why."""


def load_sampling_terms(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def mentions_any(texts: pd.Series, terms: list[str]) -> pd.Series:
    """Whether each text (case-folded) contains at least one of the terms (case-folded)."""
    pattern = re.compile("|".join(re.escape(term.lower()) for term in terms))
    return texts.str.lower().str.contains(pattern)


def draw_urgency_sample(
    frame: pd.DataFrame,
    per_source: dict[str, int],
    terms: list[str],
    enriched_share: float = 0.4,
    seed: int = 20261124,
) -> pd.DataFrame:
    picked = []
    for source, size in per_source.items():
        pool = frame[frame["source"] == source]
        mentions = mentions_any(pool["text"], terms)
        n_enriched = min(int(size * enriched_share), int(mentions.sum()))
        enriched = pool[mentions].sample(n=n_enriched, random_state=seed)
        rest = pool.drop(enriched.index)
        randoms = rest.sample(n=min(size - n_enriched, len(rest)), random_state=seed)
        picked.append(pd.concat([enriched, randoms]))
    sample = pd.concat(picked)
    return sample.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def draw_stratified_sample(
    frame: pd.DataFrame, plan: dict[str, Any], already_labelled: set[str]
) -> pd.DataFrame:
    """Rows to read next, drawn stratum by stratum from a plan (``round3_strata.yaml``).

    A stratum with ``terms`` draws from rows mentioning one of them; one without
    draws from all rows. A stratum with ``rank_by`` takes the rows with the
    highest values of that column (a model's probability of a rare class, say:
    the model chooses what is read, the reader the label) instead of a random
    draw. Rows are never drawn twice, nor drawn again once labelled. The
    ``stratum`` column says why each row was picked.
    """
    seed = int(plan.get("seed", 0))
    pool = frame[~frame["uid"].isin(already_labelled)]
    picked = []
    for name, stratum in plan["strata"].items():
        candidates = pool
        terms = stratum.get("terms")
        if terms:
            candidates = pool[mentions_any(pool["text"], terms)]
        size = min(int(stratum["size"]), len(candidates))
        rank_by = stratum.get("rank_by")
        if rank_by:
            drawn = candidates.sort_values(rank_by, ascending=False, kind="stable").head(size)
        else:
            drawn = candidates.sample(n=size, random_state=seed)
        picked.append(drawn.assign(stratum=name))
        pool = pool.drop(drawn.index)
    sample = pd.concat(picked)
    return sample.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def load_plan(path: Path) -> dict[str, Any]:
    """A round's plan, or an :class:`AnnotationError` naming what in it is wrong."""
    try:
        plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AnnotationError(f"{path}: cannot read the plan ({error})") from error
    check_plan(plan, path)
    return dict(plan)


def check_plan(plan: Any, where: Path | str = "plan") -> None:
    if not isinstance(plan, dict) or not isinstance(plan.get("strata"), dict) or not plan["strata"]:
        raise AnnotationError(f"{where}: a plan is a mapping with a non-empty 'strata' mapping")
    if plan.get("exclude_already_labelled", True) is not True:
        raise AnnotationError(
            f"{where}: a round reads only complaints not yet labelled (`add` refuses the "
            "others); a second reading of gold rows goes to urgency_second_annotation.csv"
        )
    if not isinstance(plan.get("seed", 0), int):
        raise AnnotationError(f"{where}: 'seed' must be a whole number")
    levels = rank_levels()
    for name, stratum in plan["strata"].items():
        if not isinstance(stratum, dict):
            raise AnnotationError(f"{where}: stratum {name!r} must be a mapping with a 'size'")
        size = stratum.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise AnnotationError(f"{where}: stratum {name!r} needs a 'size' of at least 1")
        terms = stratum.get("terms")
        if terms is not None and (
            not isinstance(terms, list)
            or not terms
            or not all(isinstance(t, str) and t.strip() for t in terms)
        ):
            raise AnnotationError(
                f"{where}: stratum {name!r}: 'terms' must be a list of non-empty words in quotes "
                "(YAML reads a bare yes/no as true/false)"
            )
        rank_by = stratum.get("rank_by")
        if rank_by is not None and rank_by not in levels:
            raise AnnotationError(
                f"{where}: stratum {name!r} ranks by {rank_by!r}; "
                f"a model's probabilities are {', '.join(sorted(levels))}"
            )
    if rank_columns(plan) and not isinstance(plan.get("model"), str):
        raise AnnotationError(
            f"{where}: a plan with ranked strata names the model version that ranks them "
            "('model: salur-...'), so that the round can be drawn again"
        )


def rank_levels() -> set[str]:
    """The columns a ranked stratum may rank by: one per urgency level."""
    return {f"p_{level}" for level in load_taxonomy().urgency}


def rank_columns(plan: dict[str, Any]) -> set[str]:
    return {str(s["rank_by"]) for s in plan["strata"].values() if s.get("rank_by")}


def with_class_probabilities(
    frame: pd.DataFrame, classifier: Classifier, head: str = "urgency", batch_size: int = 2048
) -> pd.DataFrame:
    """``frame`` with a ``p_<class>`` column per class of ``head``: what ranked strata rank by."""
    documents = [compose_document(t, x) for t, x in zip(frame["title"], frame["text"], strict=True)]
    rows: list[dict[str, float]] = []
    for start in range(0, len(documents), batch_size):
        predictions = classifier.predict_composed(
            documents[start : start + batch_size], explain=False
        )
        rows.extend(dict(p.heads[head].probabilities) for p in predictions)
    scores = pd.DataFrame(rows, index=frame.index).add_prefix("p_")
    return frame.join(scores)


def draw_round(
    frame: pd.DataFrame,
    plan: dict[str, Any],
    gold: pd.DataFrame,
    classifier: Classifier | None = None,
) -> pd.DataFrame:
    """The rows a plan draws, as the readers get them (:data:`DRAWN_COLUMNS`)."""
    check_plan(plan)
    needed = rank_columns(plan)
    if needed:
        if classifier is None:
            raise AnnotationError(
                f"the plan ranks by {', '.join(sorted(needed))}: pass --model to score the rows"
            )
        if classifier.version != plan["model"]:
            raise AnnotationError(
                f"the plan was drawn with model {plan['model']}, not {classifier.version}: "
                "pass that model's folder as --model (git history keeps shipped defaults)"
            )
        # Only rows that can be drawn need a score.
        frame = with_class_probabilities(frame[~frame["uid"].isin(set(gold["uid"]))], classifier)
    drawn = draw_stratified_sample(frame, plan, already_labelled=set(gold["uid"]))
    return drawn.assign(title=drawn["title"].fillna(""))[list(DRAWN_COLUMNS)]


def labelled_rows(
    drawn: pd.DataFrame, labels: pd.DataFrame, gold: pd.DataFrame, round_name: str, annotator: str
) -> pd.DataFrame:
    """A reader's labels as gold rows, or an :class:`AnnotationError` naming what is wrong."""
    for name, table, columns in (
        ("labels", labels, LABEL_COLUMNS),
        ("drawn", drawn, DRAWN_COLUMNS),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise AnnotationError(
                f"the {name} file lacks the column(s) {', '.join(missing)}; "
                f"expected {', '.join(columns)}"
            )
    if drawn["uid"].duplicated().any():
        raise AnnotationError(
            f"the drawn file lists uid {drawn.loc[drawn['uid'].duplicated(), 'uid'].iloc[0]} "
            "twice: pass the one file `draw` wrote"
        )
    if labels.empty:
        raise AnnotationError("the labels file has no rows")
    levels = set(load_taxonomy().urgency)
    problems = []
    unknown = labels.loc[~labels["urgency"].isin(levels)]
    if len(unknown):
        first = unknown.iloc[0]
        problems.append(
            f"{len(unknown)} row(s) with an urgency that is not one of {', '.join(sorted(levels))} "
            f"(first: {first['uid']} {first['urgency']!r})"
        )
    repeated = labels.loc[labels["uid"].duplicated(), "uid"]
    if len(repeated):
        problems.append(f"{len(repeated)} uid(s) labelled twice (first: {repeated.iloc[0]})")
    not_drawn = labels.loc[~labels["uid"].isin(set(drawn["uid"])), "uid"]
    if len(not_drawn):
        problems.append(
            f"{len(not_drawn)} uid(s) not in the drawn file (first: {not_drawn.iloc[0]})"
        )
    again = labels.loc[labels["uid"].isin(set(gold["uid"])), "uid"]
    if len(again):
        problems.append(f"{len(again)} uid(s) already in the gold set (first: {again.iloc[0]})")
    blank = labels.loc[labels["reason"].str.strip().str.len() < 4, "uid"]
    if len(blank):
        problems.append(f"{len(blank)} row(s) without a reason (first: {blank.iloc[0]})")
    personal = labels.loc[[mask_pii(r) != r for r in labels["reason"]], "uid"]
    if len(personal):
        problems.append(
            f"{len(personal)} reason(s) hold a name, number or address "
            f"(first: {personal.iloc[0]}); say why without them"
        )
    if problems:
        raise AnnotationError("; ".join(problems))
    origin = drawn.set_index("uid")
    return pd.DataFrame(
        {
            "uid": labels["uid"],
            "source": labels["uid"].map(origin["source"]),
            "urgency": labels["urgency"],
            "reason": labels["reason"].str.strip(),
            "annotator": annotator,
            "round": round_name,
            "stratum": labels["uid"].map(origin["stratum"]),
        }
    )[list(GOLD_COLUMNS)]


def read_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as error:
        raise AnnotationError(f"{path}: the file is empty") from error
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise AnnotationError(f"{path}: cannot read it as CSV ({error})") from error
    if not isinstance(table.index, pd.RangeIndex):
        # pandas reads a first row with one field too many as an index column,
        # shifting every value one column to the left.
        raise AnnotationError(
            f"{path}: a row has more fields than the header (a comma in an unquoted reason?)"
        )
    return table


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock beside ``path``: two readers adding at once take turns."""
    with open(path.with_name(f"{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_table_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Written in full beside ``path`` and moved into place: a crash never leaves half a gold set."""
    with replaced_on_success(path) as handle:
        frame.to_csv(handle, index=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, help="Data folder (default: the training config's)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("draw", help="Write the rows a plan draws, for people to read.")
    draw.add_argument("--plan", type=Path, required=True)
    draw.add_argument("--output", type=Path, required=True)
    draw.add_argument("--model", type=Path, help="Model that scores ranked strata.")
    add = commands.add_parser("add", help="Append one reader's labels to the gold set.")
    add.add_argument("--drawn", type=Path, required=True, help="The file `draw` wrote.")
    add.add_argument("--labels", type=Path, required=True, help="CSV: uid,urgency,reason.")
    add.add_argument("--round", required=True)
    add.add_argument("--annotator", required=True)
    args = parser.parse_args(argv)

    data_dir = args.data_dir or TrainConfig.from_file(default_config_path()).data_dir
    gold_path = DataPaths(data_dir).urgency_gold
    try:
        if args.command == "draw":
            plan = load_plan(args.plan)
            classifier = None
            if rank_columns(plan):
                classifier = Classifier.load(args.model or default_model_dir())
            gold = read_table(gold_path)
            complaints = load_all(DataPaths(data_dir).raw)
            drawn = draw_round(complaints, plan, gold, classifier)
            drawn.to_csv(args.output, index=False)
            counts = drawn["stratum"].value_counts().to_dict()
            print(f"{len(drawn)} rows to read in {args.output}: {counts}")
            # What the draw depended on, to record with the round.
            print(
                f"drawn from {len(complaints)} complaints with {len(gold)} gold rows already "
                f"labelled, seed {plan.get('seed', 0)}"
                + (f", model {classifier.version}" if classifier is not None else "")
            )
            return 0
        drawn, labels = read_table(args.drawn), read_table(args.labels)
        with locked(gold_path):
            gold = read_table(gold_path)
            rows = labelled_rows(drawn, labels, gold, args.round, args.annotator)
            write_table_atomically(pd.concat([gold, rows], ignore_index=True), gold_path)
        print(f"added {len(rows)} rows to {gold_path}: {rows['urgency'].value_counts().to_dict()}")
        return 0
    except (AnnotationError, ModelLoadError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
