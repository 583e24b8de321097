"""What the service loads once at start-up: model, taxonomy, regions."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from salur.model.classifier import Classifier
from salur.model.regions import Region, load_regions
from salur.model.routing import has_region_history, strict_routing_note, thresholds_for_region
from salur.model.taxonomy import Taxonomy, load_taxonomy
from salur.service.settings import Settings

log = logging.getLogger("salur.service")


@dataclass(frozen=True)
class Reference:
    """The label contract and the region files: all the review queue needs.

    Loaded apart from the model, so that admins can still work through the
    queue (and its SP4N deadlines) while a model fails to load.
    """

    taxonomy: Taxonomy
    regions: dict[str, Region]


@dataclass
class Runtime:
    classifier: Classifier
    reference: Reference
    # The model's pooled thresholds with the operator's overrides.
    thresholds: dict[str, float]
    # Per region, the thresholds its complaints are decided with before its own
    # file's (see thresholds_for_region).
    region_thresholds: dict[str, dict[str, float]]

    @property
    def taxonomy(self) -> Taxonomy:
        return self.reference.taxonomy

    @property
    def regions(self) -> dict[str, Region]:
        return self.reference.regions

    @property
    def model_sha256(self) -> str | None:
        """SHA-256 of the version's metadata.json: what SALUR_MODEL_SHA256 pins."""
        return self.classifier.metadata_sha256

    def thresholds_for(self, region: str) -> dict[str, float]:
        return self.region_thresholds.get(region, self.thresholds)

    def has_history(self, region: str) -> bool | None:
        return has_region_history(region, self.classifier.region_thresholds)


def load_reference(settings: Settings) -> Reference:
    """Raises RegionError with a message fit for the log."""
    taxonomy = load_taxonomy()
    return Reference(taxonomy, load_regions(settings.regions_dir, taxonomy))


def load_runtime(settings: Settings, reference: Reference | None = None) -> Runtime:
    """Raises ModelLoadError / RegionError with a message fit for the log."""
    reference = reference or load_reference(settings)
    regions = reference.regions
    classifier = Classifier.load(settings.model_dir, expected_sha256=settings.model_sha256)
    thresholds = {**classifier.thresholds, **settings.thresholds}
    per_region = {
        code: thresholds_for_region(
            code, classifier.thresholds, classifier.region_thresholds, settings.thresholds
        )
        for code in regions
    }
    runtime = Runtime(classifier, reference, thresholds, per_region)
    unset = classifier.heads_without_threshold(settings.thresholds)
    if unset:
        # Safe (everything goes to review) but surprising: say why nothing routes.
        log.warning(
            "model %s has no threshold for %s in its metadata; those heads are never "
            "confident and every complaint goes to review (set SALUR_THRESHOLDS or retrain)",
            classifier.version,
            ", ".join(unset),
        )
    for code, region in regions.items():
        note = strict_routing_note(region, per_region[code], classifier.region_thresholds)
        if note:
            log.warning(
                "%s (model %s); set thresholds.agency in its region file to route automatically",
                note,
                classifier.version,
            )
    # One tiny prediction fills the stemmer memo and the lazy Sastrawi
    # dictionary so the first real request is not the slow one.
    classifier.predict(["jalan rusak di depan kantor kelurahan"])
    return runtime
