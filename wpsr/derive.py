"""Datasets derived from registry packages, reproducible with ``wpsr derive NAME``.

Each derivation writes its CSV into ``data/`` and records, in the resource's
``wpsr:derivedFrom`` entry of the descriptor, the package and version it came from.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wpsr.data import DataPackage

if TYPE_CHECKING:
    import pandas as pd

# UN M49 codes: the World, the six continental regions, and the countries the
# inception meeting cited as examples.
POPULATION_LOCATIONS = {
    900: "World", 903: "Africa", 935: "Asia", 908: "Europe",
    904: "Latin America and the Caribbean", 905: "Northern America", 909: "Oceania",
    32: "Argentina", 76: "Brazil", 124: "Canada", 170: "Colombia", 356: "India",
    454: "Malawi", 484: "Mexico", 554: "New Zealand", 608: "Philippines", 840: "United States of America",
}
BROAD_AGE_GROUPS = [(0, "0-14"), (15, "15-24"), (25, "25-64"), (65, "65+")]


def _broad_age_group(start: int) -> str:
    return [label for lower, label in BROAD_AGE_GROUPS if start >= lower][-1]


def population(package: DataPackage) -> pd.DataFrame:
    """World Population Prospects 2024 (medium variant) by broad age group, both sexes."""
    import pandas as pd

    source = importlib.resources.files("bokeh_sampledata") / "_data" / "population.csv.gz"
    with importlib.resources.as_file(source) as path:
        wpp = pd.read_csv(path)
    wpp = wpp[wpp["LocID"].isin(POPULATION_LOCATIONS)]
    wpp = wpp.assign(age_group=wpp["AgeGrpStart"].map(_broad_age_group))
    table = (wpp.groupby(["LocID", "Year", "age_group"], as_index=False)["Value"].sum()
             .rename(columns={"LocID": "m49_code", "Year": "year", "Value": "population"}))
    table["location"] = table["m49_code"].map(POPULATION_LOCATIONS)
    table["population"] = table["population"].round().astype("int64")
    order = list(POPULATION_LOCATIONS)
    table = table.sort_values(["m49_code", "year", "age_group"],
                              key=lambda c: c.map(order.index) if c.name == "m49_code" else c)
    return table[["m49_code", "location", "year", "age_group", "population"]]


DERIVATIONS: dict[str, tuple[str, str, Callable[[DataPackage], pd.DataFrame]]] = {
    # name: (resource, registry package, function)
    "population": ("population-broad-age", "bokeh-sampledata", population),
}


def derive(name: str, package: DataPackage | None = None) -> Path:
    """Rebuild one derived dataset and record its provenance; return the CSV's path."""
    package = package or DataPackage.read()
    resource_name, distribution, build = DERIVATIONS[name]
    resource = package.resource(resource_name)
    build(package).to_csv(resource.path, index=False, lineterminator="\n")
    descriptor = json.loads(package.path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == resource_name:
            entry["wpsr:derivedFrom"] = {
                "package": distribution,
                "version": importlib.metadata.version(distribution),
                "command": f"python -m wpsr derive {name}",
            }
    package.path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    return resource.path

