"""The ``salur`` command: one CLI for the data team and operators.

This module is the composition root: it may import ``model``, ``training``
and ``service``; those packages never import each other the wrong way.
Heavy imports happen inside commands so that ``salur --help`` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from salur.model.regions import Region

from salur.paths import default_config_path

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Classify and route Indonesian public-service complaints.",
    pretty_exceptions_enable=False,
)


class CliError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


def _fail(message: str) -> None:
    raise CliError(message)


def _writable_folder(folder: Path, what: str) -> None:
    """Stop now if ``folder`` cannot be written or created, rather than after the
    minutes of fitting whose result it would hold. Nothing is created here."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == folder and not folder.is_dir():
        _fail(f"cannot use {folder} as {what}: it is a file")
    if existing != folder and not existing.is_dir():
        _fail(f"cannot create {folder} as {what}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        _fail(f"cannot use {folder} as {what}: {existing} is not writable")


@app.command()
def train(
    config: Annotated[Path, typer.Option(help="Training config (YAML).")] = default_config_path(),
    data_dir: Annotated[
        Path | None, typer.Option(help="Override the config's data folder.")
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Where version folders go.")] = None,
    with_corrections: Annotated[
        bool, typer.Option(help="Add admin corrections from DATA_DIR/corrections.")
    ] = False,
    holdout_only: Annotated[
        bool, typer.Option(help="Keep the model fitted on the train split (no refit on all rows).")
    ] = False,
) -> None:
    """Train every head, choose thresholds, and write a new model version folder."""
    from rich.console import Console

    from salur.training.train import TrainConfig, summarise
    from salur.training.train import train as run_training

    cfg = TrainConfig.from_file(
        config,
        data_dir=data_dir,
        models_dir=models_dir,
        with_corrections=with_corrections or None,
        refit_on_all=False if holdout_only else None,
    )
    _writable_folder(cfg.models_dir, "the models folder")
    console = Console(stderr=True)
    with console.status("training") as status:

        def progress(message: str) -> None:
            console.log(message)
            status.update(message)

        path = run_training(cfg, progress)
    from salur.model.artifact import read_metadata

    console.print(summarise(read_metadata(path)["metrics"]))
    typer.echo(str(path))


@app.command()
def evaluate(
    config: Annotated[Path, typer.Option(help="Training config (YAML).")] = default_config_path(),
    model: Annotated[
        Path | None, typer.Option(help="Evaluate this saved model on the test split instead.")
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Compare two saved models (OLD NEW) on the same held-out rows."),
    ] = None,
    held_out: Annotated[
        Path | None,
        typer.Option(
            help="Labelled CSV (training shape) to evaluate on instead of the test split."
        ),
    ] = None,
    output: Annotated[Path, typer.Option(help="Report folder.")] = Path("reports/latest"),
    data_dir: Annotated[
        Path | None, typer.Option(help="Override the config's data folder.")
    ] = None,
    holdout_region: Annotated[
        str, typer.Option(help="Source left out for cross-region.")
    ] = "bandung",
) -> None:
    """Held-out metrics per head (random split and cross-region), JSON + report + plots."""
    from rich.console import Console

    from salur.training.evaluate import shown_precision, write_report
    from salur.training.sources import LOADERS
    from salur.training.train import TrainConfig, evaluate_recipe, evaluate_saved

    cfg = TrainConfig.from_file(config, data_dir=data_dir)
    console = Console(stderr=True)
    if held_out is not None and compare is None and model is None:
        _fail("--held-out needs --model or --compare (the recipe is evaluated on its own splits)")
    trained_sources = cfg.sources or sorted(LOADERS)
    if compare is None and model is None and holdout_region not in trained_sources:
        _fail(
            f"--holdout-region {holdout_region!r} is not a source of this config; "
            f"give one of {', '.join(trained_sources)}"
        )
    _writable_folder(output, "the report folder")
    if compare is not None:
        from salur.training.promotion import compare_models, format_comparison

        if held_out is not None and not held_out.is_file():
            _fail(f"held-out file {held_out} not found")
        comparison = compare_models(compare[0], compare[1], cfg, held_out)
        write_report(comparison["results"], output, "Comparison of two models")
        typer.echo(format_comparison(comparison))
        return
    if model is not None:
        if not model.is_dir():
            _fail(f"model folder {model} not found")
        results = evaluate_saved(model, cfg, held_out)
        if results.get("trained_on") == "all" and held_out is None:
            console.print(
                "[yellow]warning: this model was refitted on all rows, so the test split "
                "was part of its training data; use `salur train --holdout-only` for an "
                "honest figure[/yellow]"
            )
        if "test_share" in results:
            console.print(
                f"note: {results['model']} was trained with a smaller test split; measured on "
                f"its {results['test_share']:.0%} of the rows, which it did not train on"
            )
        title = f"Evaluation of {results['model']}"
    else:
        results = evaluate_recipe(cfg, holdout_region, lambda m: console.log(m))
        title = "Evaluation of the training recipe"
    report = write_report(results, output, title)
    for setting, heads in results.items():
        if isinstance(heads, dict):
            for head, m in heads.items():
                if isinstance(m, dict) and m.get("support"):
                    typer.echo(
                        f"{setting:24s} {head:12s} n={m['support']:5d} acc={m['accuracy']:.3f} "
                        f"macroF1={m['macro_f1']:.3f} auto={m['auto_route']['coverage']:.2f} "
                        f"auto_precision={shown_precision(m['auto_route']['precision'])}"
                    )
    typer.echo(str(report))


@app.command()
def classify(
    input: Annotated[Path, typer.Option("--input", help="CSV of complaints.")],
    output: Annotated[Path, typer.Option("--output", help="CSV to write.")],
    text_column: Annotated[str, typer.Option(help="Column with the complaint text.")] = "text",
    title_column: Annotated[str | None, typer.Option(help="Optional column with a title.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model version folder.")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per prediction batch.")] = 512,
    region: Annotated[
        str | None,
        typer.Option(
            help=(
                "Route as the service does in this region (overrides, thresholds). Without "
                "it the region is unknown and every row needs review (models with "
                "per-region thresholds)."
            )
        ),
    ] = None,
    regions_dir: Annotated[
        Path | None, typer.Option(help="Region files (default: the service's regions).")
    ] = None,
    region_column: Annotated[
        str | None,
        typer.Option(
            help=(
                "Column naming each row's region code: every row is routed as with --region "
                "in its own region; an empty cell as a request naming none (default)."
            )
        ),
    ] = None,
) -> None:
    """Classify every row of a CSV; keeps all input columns and adds predictions.

    The input may be separated by commas, semicolons (Excel in an Indonesian
    locale) or tabs, in UTF-8 with or without a byte-order mark or in UTF-16
    (Excel "Unicode text"); the output is a comma-separated UTF-8 CSV. Input
    columns the output would overwrite (an export's own category, say) are
    kept with the suffix _input. Rows without a readable word get empty
    labels and needs_review=True.
    """
    from salur.training.batch import InputError, classify_csv

    # SIGTERM's default action ends the process without unwinding, which would
    # leave the temporary output (.OUT.csv.xxxx.draft) next to the real one.
    signal.signal(signal.SIGTERM, _unwind_on_sigterm)
    if region == "":
        raise CliError("--region is empty; give a region code or leave the option out")
    if region_column == "":
        raise CliError("--region-column is empty; give a column name or leave the option out")
    if not text_column:
        raise CliError("--text-column is empty; give the name of the complaint text column")
    if region is not None and region_column is not None:
        raise CliError("give --region or --region-column, not both")
    settings = _service_settings()
    known = (
        _load_regions(regions_dir or settings.regions_dir)
        if region is not None or region_column is not None
        else {}
    )
    if region is not None and region not in known:
        from salur.model.regions import unknown_region

        raise CliError(unknown_region(region, known))
    routing_region = known[region] if region is not None else None
    try:
        count = classify_csv(
            input_path=input,
            output_path=output,
            text_column=text_column,
            title_column=title_column,
            # As the service chooses it: SALUR_MODEL_DIR, else the version
            # promoted in SALUR_MODELS_ROOT (environment or .env).
            model_dir=model or settings.model_dir,
            batch_size=batch_size,
            show_progress=sys.stderr.isatty(),
            region=routing_region,
            notify=lambda message: typer.echo(f"note: {message}", err=True),
            threshold_overrides=dict(settings.thresholds),
            # The hash this deployment pins (SALUR_MODEL_SHA256) guards every
            # model load, not only the server's.
            expected_sha256=settings.model_sha256,
            region_column=region_column,
            regions=known,
        )
    except InputError as error:
        raise CliError(str(error)) from error
    typer.echo(f"classified {count} rows into {output}", err=True)


SECRET_SETTINGS = ("api_keys", "session_secret", "database_url")


def _service_settings() -> Any:
    """The service's settings (SALUR_* / .env), so that --region routes as the service
    does and a pinned model hash is honoured here too."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from salur.service.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        # Field names, and the reason for all but secrets: the values may include API keys.
        fields = ", ".join(
            ".".join(map(str, e["loc"]))
            + ("" if e["loc"][0] in SECRET_SETTINGS else f" ({e['msg']})")
            for e in error.errors()
        )
        raise CliError(f"cannot read the service settings (SALUR_* / .env): {fields}") from error
    except SettingsError as error:
        raise CliError(f"cannot read the service settings (SALUR_* / .env): {error}") from error


def _load_regions(regions_dir: Path) -> dict[str, Region]:
    from salur.model.regions import RegionError, load_regions
    from salur.model.taxonomy import load_taxonomy

    if not regions_dir.is_dir():
        raise CliError(f"region folder {regions_dir} does not exist")
    try:
        return load_regions(regions_dir, load_taxonomy())
    except RegionError as error:
        raise CliError(str(error)) from error


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (SALUR_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SALUR_PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (SALUR_WORKERS).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="Model version folder (SALUR_MODEL_DIR).")
    ] = None,
) -> None:
    """Run the HTTP API with uvicorn."""
    from salur.service.server import serve as run_server

    if model is not None:
        # Workers are separate processes that build their own Settings from
        # the environment, so the CLI choice travels as an environment variable.
        os.environ["SALUR_MODEL_DIR"] = str(model.resolve())
    settings = _service_settings()
    run_server(
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
    )


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="Admin login name.")],
    password: Annotated[
        str | None,
        typer.Option(envvar="SALUR_ADMIN_PASSWORD", help="Read from the prompt when not given."),
    ] = None,
) -> None:
    """Create an admin for the review page (or reset an existing admin's password)."""
    from salur.service.security import hash_password
    from salur.service.storage import StorageUnavailable, Store

    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        hashed = hash_password(secret)
    except ValueError as error:
        raise CliError(str(error)) from error
    store = Store(_service_settings().database_url)
    try:
        store.ensure_schema()
        store.add_admin(username, hashed)
    except StorageUnavailable as error:
        raise CliError(str(error)) from error
    typer.echo(f"admin {username!r} saved", err=True)


@app.command("import-history")
def import_history_command(
    input_file: Annotated[
        Path, typer.Option("--input", help="CSV of the region's past complaints.")
    ],
    region: Annotated[str, typer.Option(help="Region code (a file in the regions folder).")],
    agency_column: Annotated[
        str | None, typer.Option(help="Column naming the office each complaint went to.")
    ] = None,
    category_column: Annotated[
        str | None, typer.Option(help="Column naming each complaint's category.")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column with the complaint text.")] = "text",
    title_column: Annotated[str | None, typer.Option(help="Column with the title.")] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Reviewed head,raw_name,code table for names the region file lacks."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            help="CSV to write (default: history-<region>-<input name>.csv in the corrections "
            "folder, where `salur train --with-corrections` reads)."
        ),
    ] = None,
    regions_dir: Annotated[
        Path | None, typer.Option(help="Region files (default: SALUR_REGIONS_DIR).")
    ] = None,
) -> None:
    """Turn a region's own forwarding history into training rows, through a reviewed mapping."""
    from salur.model.regions import unknown_region
    from salur.model.routing import GENERIC_REGION
    from salur.model.taxonomy import load_taxonomy
    from salur.training.batch import InputError
    from salur.training.history import import_history

    columns = {
        head: column
        for head, column in (("agency", agency_column), ("category", category_column))
        if column
    }
    if not columns:
        _fail("give --agency-column and/or --category-column: the labels to learn from")
    if not input_file.is_file():
        _fail(f"input file {input_file} not found")
    regions = _load_regions(regions_dir or _service_settings().regions_dir)
    if region == GENERIC_REGION:
        _fail("a history comes from one region: give its code, not 'default'")
    if region not in regions:
        _fail(unknown_region(region, regions))
    if mapping is not None and not mapping.is_file():
        _fail(f"mapping file {mapping} not found")
    # Named after the input too, so that importing next year's export adds to this one.
    target = output or default_corrections_path().with_name(
        f"history-{region}-{input_file.stem}.csv"
    )
    try:
        result = import_history(
            input_file,
            target,
            regions[region],
            load_taxonomy(),
            columns,
            text_column=text_column,
            title_column=title_column,
            mapping_path=mapping,
            notify=lambda message: typer.echo(f"note: {message}", err=True),
        )
    except InputError as error:
        raise CliError(str(error)) from error
    except OSError as error:
        raise CliError(f"cannot write {target}: {error.strerror}; nothing was written") from error
    counts = ", ".join(f"{result.labelled[head]} with {head}" for head in columns)
    left_out = [
        f"{n} {why}"
        for n, why in (
            (result.unlabelled, "row(s) without a text or a label"),
            (result.duplicates, "repeated complaint(s)"),
            (result.conflicting, "row(s) of complaints whose copies disagree on a label"),
        )
        if n
    ]
    skipped = f"; left out: {', '.join(left_out)}" if left_out else ""
    typer.echo(f"wrote {result.rows} rows of {region} to {target} ({counts}){skipped}", err=True)


def _start_of_day(value: str | None, option: str, timezone: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date; write it as YYYY-MM-DD")
    # Stored times are UTC; SQLite compares them as text, so the bound must be UTC too.
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@app.command("export-corrections")
def export_corrections_command(
    output: Annotated[
        Path | None,
        typer.Option(
            help="CSV to write (default: corrections/corrections.csv in the data folder of "
            "the default training config, where `salur train --with-corrections` reads)."
        ),
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Defaults to DATABASE_URL / the embedded SQLite.")
    ] = None,
    all_heads: Annotated[
        bool,
        typer.Option(
            help="Also export urgency and report type that reviewers left as the model said "
            "(by default those count only where a reviewer changed them)."
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only complaints submitted on or after this date (YYYY-MM-DD)."),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option(
            help="Only complaints submitted before this date (YYYY-MM-DD); with --since on "
            "another export, the newest complaints can be held out for `promote --held-out`."
        ),
    ] = None,
) -> None:
    """Write admin-reviewed complaints as a labelled dataset (input of train --with-corrections).

    Agency and category count as reviewed once an admin accepted or corrected
    the item; an unchanged urgency or report type is the model's own answer.
    """
    from salur.service.review import export_corrections
    from salur.service.storage import StorageUnavailable, Store, sqlite_file

    settings = _service_settings()
    # Days begin at midnight in SALUR_TIMEZONE; a region file's own zone (which the
    # admin page uses for that region's items) is not applied here.
    since_at, before_at = (
        _start_of_day(since, "--since", settings.timezone),
        _start_of_day(before, "--before", settings.timezone),
    )
    if since_at and before_at and since_at >= before_at:
        _fail(f"--since {since} is not before --before {before}; no complaint is in between")
    url = database_url or settings.database_url
    database_file = sqlite_file(url)
    if database_file is not None and not database_file.is_file():
        # Opening it would create an empty queue and export nothing, quietly.
        _fail(
            f"no review database at {database_file}; give --database-url or DATABASE_URL "
            "of the service whose reviews to export"
        )
    output = output or default_corrections_path()
    store = Store(url)
    try:
        store.ensure_schema()
        count = export_corrections(
            store, output, all_heads=all_heads, since=since_at, before=before_at
        )
    except StorageUnavailable as error:
        raise CliError(str(error)) from error
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror}; nothing was written") from error
    typer.echo(f"exported {count} reviewed complaints to {output}", err=True)


@app.command()
def promote(
    version: Annotated[Path, typer.Argument(help="Model version folder to serve.")],
    config: Annotated[Path, typer.Option(help="Training config (YAML).")] = default_config_path(),
    current: Annotated[
        Path | None, typer.Option(help="The model now served (default: the promoted one).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Promote even if agency macro-F1 is worse.")] = False,
    held_out: Annotated[
        Path | None, typer.Option(help="Labelled CSV neither version was trained on.")
    ] = None,
    models_root: Annotated[
        Path | None,
        typer.Option(
            help="Folder of versions the service serves from (default: SALUR_MODELS_ROOT)."
        ),
    ] = None,
) -> None:
    """Make VERSION the served model, refusing one that is worse on agency macro-F1."""
    from salur.model.artifact import ModelLoadError
    from salur.training.promotion import PromotionRefused, promote_model
    from salur.training.train import TrainConfig

    cfg = TrainConfig.from_file(config)
    settings = _service_settings()
    root = models_root or settings.models_root
    try:
        message = promote_model(
            version,
            current,
            cfg,
            force=force,
            held_out=held_out,
            models_root=root,
            pinned_sha256=settings.model_sha256,
        )
    except (PromotionRefused, ModelLoadError) as error:
        raise CliError(str(error)) from error
    typer.echo(message)


def _unwind_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def default_corrections_path() -> Path:
    """Where `salur train --with-corrections` with the default config reads, from any cwd."""
    from salur.training.train import TrainConfig

    data_dir = TrainConfig.from_file(default_config_path()).data_dir
    return data_dir / "corrections" / "corrections.csv"


def _user_error(error: Exception) -> bool:
    """Errors whose message tells the user what to fix: printed as one line, no traceback."""
    from salur.model.artifact import ModelLoadError
    from salur.training.dataset import DataError
    from salur.training.train import ConfigError

    return isinstance(error, CliError | ConfigError | DataError | ModelLoadError)


def main() -> None:
    try:
        app()
    except Exception as error:
        if not _user_error(error):
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
