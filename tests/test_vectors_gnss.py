"""Vector files (faults) and GNSS tables: every accepted format, reprojection, clipping, clear errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from mimtpy.errors import ProductError
from mimtpy.io.gnss import read_stations
from mimtpy.io.vectors import clip_lines, read_lines

LINE_A = [(-118.3, 34.1), (-118.0, 34.2)]
LINE_B = [(-118.2, 34.0), (-118.1, 34.3), (-118.05, 34.35)]


def write_gmt(path: Path) -> Path:
    path.write_text("# two faults\n> -Z1 fault A\n-118.3 34.1\n-118.0 34.2\n>\n-118.2 34.0\n-118.1 34.3\n"
                    "-118.05 34.35\n")
    return path


def frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.LineString(LINE_A), shapely.LineString(LINE_B)],
                            crs="EPSG:4326").to_crs(crs)


def test_gmt_multisegment_text(tmp_path):
    lines = read_lines(write_gmt(tmp_path / "f.gmt"))
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0], LINE_A)
    np.testing.assert_allclose(lines[1], LINE_B)
    (tmp_path / "bad.gmt").write_text("> x\n-118 north\n")
    with pytest.raises(ProductError, match=r"bad\.gmt:2: '-118 north' is not 'lon lat'"):
        read_lines(tmp_path / "bad.gmt")


def test_shapefile_without_dbf_geojson_in_utm_and_geopackage(tmp_path):
    frame().to_file(tmp_path / "f.shp")
    (tmp_path / "f.dbf").unlink()
    frame("EPSG:32611").to_file(tmp_path / "utm.geojson", driver="GeoJSON")
    frame().to_file(tmp_path / "f.gpkg", driver="GPKG")
    for name in ("f.shp", "utm.geojson", "f.gpkg"):
        lines = read_lines(tmp_path / name)
        assert len(lines) == 2, name
        np.testing.assert_allclose(lines[0], LINE_A, atol=1e-6)      # UTM reprojected back to lon/lat
        np.testing.assert_allclose(lines[1], LINE_B, atol=1e-6)


def test_clipping_keeps_the_part_inside_and_can_be_empty():
    parts = clip_lines([np.array(LINE_A)], (34.0, 34.3, -118.15, -117.9))
    assert len(parts) == 1 and parts[0][:, 0].min() == pytest.approx(-118.15)
    assert clip_lines([np.array(LINE_A)], (10, 11, 10, 11)) == []


def test_unreadable_vector_file_names_the_formats(tmp_path):
    (tmp_path / "x.geojson").write_text("not json")
    with pytest.raises(ProductError, match=r"x\.geojson: cannot read vector file \(.shp"):
        read_lines(tmp_path / "x.geojson")


GLOBK = """* Velocity field from GLOBK
  Long.     Lat.        E & N Rate      E & N Adj.      E & N +-   RHO    H Rate   H adj.    +-  SITE
 (deg)    (deg)          (mm/yr)       (mm/yr)       (mm/yr)              (mm/yr)
 241.80000   34.10000   -20.50   15.20    0.00    0.00    0.40    0.35  0.010     -1.50    0.00    1.20 ABCD_GPS
 -118.1000   34.20000    -5.00    3.00    0.00    0.00    0.50    0.45 -0.020      2.00    0.00    1.30 EFGH_GPS
"""
MIDAS = ("P123 MIDAS5 2010.0 2020.0 10.0 3600 3500 3000 -0.020500 0.015200 -0.001500 0.000400 0.000350 0.001200 "
         "0.1 0.2 0.3 0.01 0.02 0.03 0.002 0.002 0.004 0 34.100000 241.800000 100.0\n")
CSV = "site,lon,lat,ve,vn,vu,se,sn,su\nABCD,-118.2,34.1,-20.5,15.2,-1.5,0.4,0.35,1.2\n"


@pytest.mark.parametrize("name,text", [("v.vel", GLOBK), ("midas.IGS14.txt", MIDAS), ("g.csv", CSV)])
def test_gnss_formats_give_the_same_station_in_m_per_yr(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    st = read_stations(path)
    assert st.site[0].startswith(("ABCD", "P123"))
    assert st.lon[0] == pytest.approx(-118.2) and st.lat[0] == pytest.approx(34.1)
    assert (st.ve[0], st.vn[0], st.vu[0]) == pytest.approx((-0.0205, 0.0152, -0.0015))
    assert (st.se[0], st.sn[0], st.su[0]) == pytest.approx((0.0004, 0.00035, 0.0012))


def test_unknown_gnss_format_lists_the_accepted_ones(tmp_path):
    (tmp_path / "x.txt").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(ProductError, match=r"unknown GNSS table format; accepted: globk, midas, csv"):
        read_stations(tmp_path / "x.txt")


PSVELO = "241.8 34.1 -20.5 15.2 0.4 0.35 0.01 ABCD\n-118.3 34.3 -5.0 3.0 0.5 0.45 -0.02 EFGH\n"
CSV_SPELLINGS = ("Station Longitude Latitude E_vel(mm/yr) N_vel(mm/yr) sig_E sig_N\n"
                 "ABCD -118.2 34.1 -20.5 15.2 0.4 0.35\n")
CSV_METRES = "site,lon,lat,ve (m/yr),vn (m/yr)\nABCD,-118.2,34.1,-0.0205,0.0152\n"


@pytest.mark.parametrize("text", [PSVELO, CSV_SPELLINGS, CSV_METRES])
def test_headerless_psvelo_and_common_header_spellings(tmp_path, text):
    path = tmp_path / "field.txt"
    path.write_text(text)
    st = read_stations(path)
    assert st.site[0] == "ABCD"
    assert st.lon[0] == pytest.approx(-118.2) and st.lat[0] == pytest.approx(34.1)
    assert (st.ve[0], st.vn[0]) == pytest.approx((-0.0205, 0.0152))
    assert np.isnan(st.vu[0])
    if "0.4" in text:
        assert (st.se[0], st.sn[0]) == pytest.approx((0.0004, 0.00035))


def test_gnss_column_name_variants_and_psvelo_text(tmp_path):
    """Header variants of published tables, and GMT psvelo text (no header), read as the canonical CSV."""
    (tmp_path / "v.csv").write_text("Station,Longitude,Latitude,Ve_mm/yr,Vn_mm/yr,Vu_mm/yr,sig_ve,sig_vn,sig_vu\n"
                                    "ABCD,-118.2,34.1,-20.5,15.2,-1.5,0.4,0.35,1.2\n")
    (tmp_path / "w.txt").write_text("lon lat vel_e vel_n e_err n_err vel_u sigma_up\n"
                                    "-118.2 34.1 -20.5 15.2 0.4 0.35 -1.5 1.2\n")
    (tmp_path / "p.gmt").write_text("# psvelo\n-118.2 34.1 -20.5 15.2 0.4 0.35 0.01 ABCD\n"
                                    "-118.1 34.2 -5 3 0.5 0.45 0 EFGH\n")
    for name in ("v.csv", "w.txt"):
        st = read_stations(tmp_path / name)
        assert (st.ve[0], st.vn[0], st.vu[0]) == pytest.approx((-0.0205, 0.0152, -0.0015)), name
        assert (st.se[0], st.sn[0], st.su[0]) == pytest.approx((0.0004, 0.00035, 0.0012)), name
    st = read_stations(tmp_path / "p.gmt")
    assert st.site == ["ABCD", "EFGH"] and st.lon[0] == pytest.approx(-118.2)
    assert (st.ve[0], st.vn[0], st.se[0], st.sn[0]) == pytest.approx((-0.0205, 0.0152, 0.0004, 0.00035))
    assert np.isnan(st.vu).all()
