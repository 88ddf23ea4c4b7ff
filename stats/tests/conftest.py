"""Where the real SSMSI files are, and small SSMSI files written for one test."""

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("VIGILANTS_SHARED_DATA", REPO.parent / "shared" / "data"))
REGIONAL = "donnee-reg-data.gouv-2024-geographie2024-produit-le2025-03-14.csv"
DEPARTEMENTAL = "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz"

CURRENT_REGION_HEADER = (
    '"Code_region";"annee";"indicateur";"unite_de_compte";"nombre";"taux_pour_mille";"insee_pop";'
    '"insee_pop_millesime";"insee_log";"insee_log_millesime"'
)
CURRENT_COMMUNE_HEADER = (
    '"CODGEO_2024";"annee";"indicateur";"unite_de_compte";"nombre";"taux_pour_mille";"est_diffuse";"insee_pop";'
    '"insee_pop_millesime";"insee_log";"insee_log_millesime";"complement_info_nombre";"complement_info_taux"'
)
OLDER_COMMUNE_HEADER = (
    "CODGEO_2023;annee;classe;unité.de.compte;valeur.publiée;faits;tauxpourmille;complementinfoval;"
    "complementinfotaux;POP;millPOP;LOG;millLOG"
)


@pytest.fixture
def ssmsi_file() -> Callable[[str], Path]:
    """The real file of that name, shipped in the shared data folder (VIGILANTS_SHARED_DATA)."""

    def find(name: str) -> Path:
        path = SHARED_DATA / "ssmsi" / name
        if not path.exists():
            pytest.fail(f"{path} absent: set VIGILANTS_SHARED_DATA to the shared data folder")
        return path

    return find


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Writes lines as the SSMSI does: UTF-8 with BOM, CRLF-free, optionally gzipped."""

    def write(header: str, *lines: str, name: str = "ssmsi.csv") -> Path:
        data = ("\ufeff" + "\n".join([header, *lines]) + "\n").encode()
        path = tmp_path / name
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return write
