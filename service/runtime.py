"""What the service loads once at start-up: model, taxonomy, regions."""

from __future__ import annotations

from dataclasses import dataclass

from salur.model.classifier import Classifier
from salur.model.regions import Region, load_regions
from salur.model.taxonomy import Taxonomy, load_taxonomy
from salur.service.settings import Settings


@dataclass
class Runtime:
    classifier: Classifier
    taxonomy: Taxonomy
    regions: dict[str, Region]
    thresholds: dict[str, float]


def load_runtime(settings: Settings) -> Runtime:
    """Raises ModelLoadError / RegionError with a message fit for the log."""
    taxonomy = load_taxonomy()
    regions = load_regions(settings.regions_dir, taxonomy)
    classifier = Classifier.load(settings.model_dir, expected_sha256=settings.model_sha256)
    thresholds = {**classifier.thresholds, **settings.thresholds}
    # One tiny prediction fills the stemmer memo and the lazy Sastrawi
    # dictionary so the first real request is not the slow one.
    classifier.predict(["jalan rusak di depan kantor kelurahan"])
    return Runtime(classifier, taxonomy, regions, thresholds)
