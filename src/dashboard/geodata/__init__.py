"""Official district geometry: read, validate, reproject, simplify; the geometry store.

Three parts, like geopandas separates reading from tools:

- :mod:`.read`: reading and validating outside files (zip checks, one GDAL driver per
  extension, CRS, polygons, the municipality filter, the official and benchmark layers);
- :mod:`.derive`: derived layers (sector table, approximate sectors, the schematic grid,
  coarser levels dissolved from sectors, coverage simplification);
- :mod:`.store`: the geometry store under ``geo/`` (import, write, manifest, load,
  ensure, download).

Every name the rest of the code uses is re-exported here (``geodata.load_level`` …).
"""

from __future__ import annotations

from .derive import (
    MAX_TABLE_BYTES,
    PARENT_INDEX,
    TOLERANCE_M,
    approximate_sectors,
    dissolve_from_sectors,
    dissolve_sectors,
    schematic_layers,
    sector_table,
    simplify_coverage,
)
from .read import (
    ALLOWED_EPSG,
    DRIVERS,
    GPKG_APPLICATION_IDS,
    LEVEL_ORDER,
    MAX_GEODATA_BYTES,
    MAX_LAYER_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    PEER_LEVEL,
    SHAPEFILE_PARTS,
    STORE_CRS,
    SUPPORTED_SUFFIXES,
    WORK_CRS,
    ZIP_RATIO_FROM,
    benchmark_members,
    check_zip_directory,
    city_levels,
    expected_areas,
    extract_member,
    read_benchmark_layer,
    read_layer,
    read_official_level,
    validate_polygons,
)
from .store import (
    MANIFEST,
    LevelReport,
    areas_from_geometry,
    download_geodata,
    ensure_geometry,
    import_geodata,
    load_level,
    read_manifest,
    write_store,
)
from ..errors import GeodataError

__all__ = [
    "ALLOWED_EPSG", "DRIVERS", "GPKG_APPLICATION_IDS", "LEVEL_ORDER", "MANIFEST",
    "MAX_GEODATA_BYTES", "MAX_LAYER_BYTES", "MAX_TABLE_BYTES", "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO", "PARENT_INDEX", "PEER_LEVEL", "SHAPEFILE_PARTS", "STORE_CRS",
    "SUPPORTED_SUFFIXES", "TOLERANCE_M", "WORK_CRS", "ZIP_RATIO_FROM", "GeodataError",
    "LevelReport", "approximate_sectors", "areas_from_geometry", "benchmark_members",
    "check_zip_directory", "city_levels", "dissolve_from_sectors", "dissolve_sectors",
    "download_geodata", "ensure_geometry", "expected_areas", "extract_member",
    "import_geodata", "load_level", "read_benchmark_layer", "read_layer",
    "read_manifest", "read_official_level", "schematic_layers", "sector_table",
    "simplify_coverage", "validate_polygons", "write_store",
]
