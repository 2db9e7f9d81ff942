"""The three scales of generated data and the five Danish roles.

Plain data, used by bench.datagen (which re-exports SCALES and Scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bench import danish

Towns = tuple[tuple[str, str], ...]  # (postal code, city)


@dataclass(frozen=True)
class Scale:
    name: str
    stations: int
    seats: int
    volunteers: int
    areas: tuple[tuple[str, Towns], ...]
    label: str  # how default election names tell the scales apart


def base_town(city: str) -> str:
    """'Aarhus C' -> 'Aarhus', 'Viby J' -> 'Viby' (Nykøbing F, M and Sj are three towns)."""
    head, _, tail = city.rpartition(" ")
    return head if head and tail in {"C", "V", "N", "NV", "SV", "J"} else city


def _national_areas(count: int = 92) -> tuple[tuple[str, Towns], ...]:
    """92 nomination districts, named after their main town, each with its postal towns."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, city in danish.POSTAL_TOWNS:
        grouped.setdefault(base_town(city), []).append((code, city))
    bases = list(grouped)
    areas = [[base, list(grouped[base])] for base in bases[:count]]
    for i, base in enumerate(bases[count:]):  # smaller towns join a district
        areas[i % count][1].extend(grouped[base])
    return tuple(
        (f"{base}kredsen" if " " not in base else f"{base}-kredsen", tuple(towns))
        for base, towns in areas
    )


def _fixed(areas: list[tuple[str, list[tuple[str, str]]]]) -> tuple[tuple[str, Towns], ...]:
    return tuple((name, tuple(towns)) for name, towns in areas)


SCALES: dict[str, Scale] = {
    "town": Scale("town", 12, 250, 400, _fixed(danish.TOWN_AREAS), ""),
    "city": Scale("city", 50, 3_000, 6_000, _fixed(danish.CITY_AREAS), "København"),
    "national": Scale("national", 1_400, 60_000, 100_000, _national_areas(), "hele landet"),
}


@dataclass(frozen=True)
class RoleSpec:
    key: str
    name: str
    short_name: str
    start: time
    end: time
    pay: str
    min_age: int
    invite_only: bool
    sort_order: int
    description: str


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        "chair", "Valgstyrer", "VS", time(7, 30), time(20), "1050.00", 18, True, 10,
        "Leder afstemningen på valgstedet sammen med de andre valgstyrere og har ansvaret "
        "for optællingen. Udpeges efter indstilling fra partierne.",
    ),
    RoleSpec(
        "secretary", "Valgsekretær", "SEK", time(7), time(20), "1200.00", 18, False, 20,
        "Kommunens afstemningsleder på valgstedet: valglister, udstyr og kontakt til "
        "valgsekretariatet.",
    ),
    RoleSpec(
        "clerk", "Tilforordnet", "TF", time(7, 30), time(20), "750.00", 18, False, 30,
        "Hjælper vælgerne, slår dem op i valglisten og udleverer stemmesedler.",
    ),
    RoleSpec(
        "counter", "Fintæller", "FT", time(20), time(1), "600.00", 16, False, 40,
        "Tæller stemmerne op, når valgstedet lukker kl. 20. Arbejdet slutter normalt "
        "omkring kl. 1.",
    ),
    RoleSpec(
        "postal", "Brevstemmemodtager", "BSM", time(10), time(16), "500.00", 18, False, 50,
        "Modtager brevstemmer på plejehjem og hos vælgere, der ikke selv kan møde op.",
    ),
)  # fmt: skip
