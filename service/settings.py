"""All service settings in one typed object, read from the environment / .env."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from salur.model.artifact import MODELS_ROOT, served_model_dir
from salur.model.pipeline import HEADS

DEFAULT_REGIONS_DIR = Path(__file__).resolve().parent / "regions"


class Settings(BaseSettings):
    """Environment variables are ``SALUR_<NAME>``; ``DATABASE_URL`` keeps its usual name."""

    model_config = SettingsConfigDict(
        env_prefix="SALUR_", env_file=".env", extra="ignore", protected_namespaces=()
    )

    models_root: Path = Field(
        default=MODELS_ROOT,
        description=(
            "Folder of model versions whose PROMOTED file (written by `salur promote`) "
            "names the version served when SALUR_MODEL_DIR is not set."
        ),
    )
    model_dir: Path = Field(default_factory=served_model_dir)
    model_sha256: str | None = Field(
        default=None,
        description=(
            "SHA-256 of the trusted version's metadata.json (it records the pipeline's "
            "hash, so both are pinned); a pipeline hash is still accepted, with a warning."
        ),
    )
    regions_dir: Path = DEFAULT_REGIONS_DIR
    thresholds: dict[str, float] = Field(
        default_factory=dict, description='Override model thresholds, e.g. {"agency": 0.9}.'
    )

    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    auth_disabled: bool = Field(
        default=False, description="Development only: accept requests without an API key."
    )

    rate_limit: str | None = Field(
        default="1200/minute",
        description='Per API key, e.g. "1200/minute"; empty disables it.',
    )
    key_guess_limit: str = Field(
        default="30/15 minutes",
        description="Wrong API keys one client address may send before its keyed requests wait.",
    )
    rate_limit_storage: str = Field(
        default="memory://", description="memory:// (per worker) or redis://host:port (shared)."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses (or networks) of reverse proxies whose X-Forwarded-For names the "
            "client, comma-separated. Behind a proxy every client otherwise has the "
            "proxy's address, and one client's wrong keys or logins lock out all of them."
        ),
    )

    max_text_chars: int = 20_000
    max_title_chars: int = 500
    max_batch_items: int = 1_000
    max_body_bytes: int = 8_000_000

    database_url: str = Field(
        default="sqlite:///var/salur.db",
        validation_alias=AliasChoices("DATABASE_URL", "SALUR_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; SQLite (WAL) by default, postgresql+psycopg://... to scale out.",
    )
    store_all: bool = Field(
        default=False, description="Store every classified complaint, not only needs_review ones."
    )
    session_secret: str | None = Field(
        default=None,
        description="Signs admin session cookies; if unset a key is created in var/session.key.",
    )
    content_secret: str | None = Field(
        default=None,
        description=(
            "Keys the digest that tells an intake retry from a reused X-Request-ID; if unset "
            "a key is created in var/content.key. Every host on one database needs the same "
            "one, and it must not change: stored digests are compared with new ones."
        ),
    )
    secure_cookies: bool = Field(default=False, description="Set when served over HTTPS.")
    timezone: str = Field(
        default="Asia/Jakarta",
        description=(
            "IANA time zone of the desk: the admin page shows times in it and counts SP4N "
            "working days by its dates (Asia/Makassar for WITA, Asia/Jayapura for WIT)."
        ),
    )

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"

    @model_validator(mode="after")
    def _served_from_models_root(self) -> Settings:
        # An explicit SALUR_MODEL_DIR wins; otherwise what was promoted in models_root.
        if "model_dir" not in self.model_fields_set:
            self.model_dir = served_model_dir(self.models_root)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}; e.g. Asia/Jakarta") from error
        return value

    @field_validator("thresholds")
    @classmethod
    def _known_heads_and_probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(HEADS))
        if unknown:
            raise ValueError(f"unknown head(s) {', '.join(unknown)}; heads are {', '.join(HEADS)}")
        # Above 1 is allowed: it is how an operator sends every complaint to review.
        wrong = sorted(head for head, threshold in value.items() if not 0.0 <= threshold <= 1.01)
        if wrong:
            raise ValueError(f"threshold(s) of {', '.join(wrong)} must be between 0 and 1.01")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        # "*" would trust every peer, and the client writes the leftmost
        # X-Forwarded-For address: the throttles would count what it chooses.
        wrong = []
        for entry in value:
            try:
                # strict, as uvicorn reads it: "10.0.0.5/24" would pass a lax
                # check and then never match, trusting no proxy at all.
                ipaddress.ip_network(entry)
            except ValueError:
                wrong.append(entry)
        if wrong:
            raise ValueError(
                f"{', '.join(map(repr, wrong))} is not an IP address or network (a network "
                "has no host bits: 10.0.0.0/24); list the proxies' addresses "
                "(e.g. 127.0.0.1, 10.0.0.0/24), never '*'"
            )
        return value

    @field_validator("api_keys", "trusted_proxies", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value
