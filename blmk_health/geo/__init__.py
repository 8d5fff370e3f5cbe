"""Geography: the practice -> cluster -> place -> ICB hierarchy, rollups, small areas, deprivation and maps.

- :class:`Hierarchy`: the nested areas with effective dates (:meth:`Hierarchy.from_frame`,
  :meth:`Hierarchy.from_epcn`), :meth:`~Hierarchy.at`, :meth:`~Hierarchy.map`, :meth:`~Hierarchy.members`.
- :func:`rollup`: sum counts up the hierarchy (then recompute indicators from the sums).
- :func:`place_from_postcode`, :func:`postcode_districts`: the place of a practice from its postcode.
- :func:`attach_deprivation`, :func:`practice_deprivation`, :func:`local_deciles`: IMD for small areas
  and practices.
- :func:`dissolve_areas`, :func:`cluster_boundaries`, :func:`points_to_areas`, :func:`read_geoparquet`,
  :func:`write_geoparquet`: boundaries.
- :func:`choropleth`, :func:`explore`: maps.
"""

from blmk_health.geo._boundaries import (
    assign_areas,
    cluster_boundaries,
    dissolve_areas,
    points_to_areas,
    read_geoparquet,
    write_geoparquet,
)
from blmk_health.geo._deprivation import attach_deprivation, local_deciles, practice_deprivation
from blmk_health.geo._hierarchy import LEVELS, Hierarchy
from blmk_health.geo._maps import choropleth, explore
from blmk_health.geo._places import COMMISSIONER_PLACES, ICB, PLACES, place_from_postcode, postcode_districts
from blmk_health.geo._rollup import UNMAPPED, rollup

__all__ = [
    "COMMISSIONER_PLACES",
    "ICB",
    "LEVELS",
    "PLACES",
    "UNMAPPED",
    "Hierarchy",
    "assign_areas",
    "attach_deprivation",
    "choropleth",
    "cluster_boundaries",
    "dissolve_areas",
    "explore",
    "local_deciles",
    "place_from_postcode",
    "points_to_areas",
    "postcode_districts",
    "practice_deprivation",
    "read_geoparquet",
    "rollup",
    "write_geoparquet",
]
