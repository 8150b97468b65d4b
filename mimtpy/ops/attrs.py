"""Attributes of an output made from several inputs (tracks): the one rule every multi-track writer uses.

An output of several tracks (horzvert hz/up, concatenation mosaics, overlap decomposition,
differences) starts from the first input's MintPy attributes, but a key that describes ONE track
(:data:`PER_TRACK_KEYS`: track number, frame, scene corners ``LAT_REF1..4``/``LON_REF1..4``, orbit
direction, heading, incidence, beam, acquisition geometry, the input file path) is kept only when
every input has it with the same value; otherwise it is dropped, never inherited from track 1.
The reference point keys (``REF_LAT/REF_LON/REF_Y/REF_X``) and mimtpy's settings are always
dropped: the writer adds those of the point it used (:func:`mimtpy.ops.reference.attrs_for`) and
of its own run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mimtpy.ops.reference import REF_KEYS

#: keys that describe one track (its orbit, frame, footprint, acquisition geometry or file)
PER_TRACK_KEYS = frozenset({
    "relative_orbit", "trackNumber", "track", "TRACK", "first_frame", "last_frame", "frame", "FRAME",
    *(f"{c}_REF{i}" for c in ("LAT", "LON") for i in range(1, 5)),
    "ORBIT_DIRECTION", "HEADING", "CENTER_INCIDENCE_ANGLE", "CENTER_LINE_UTC", "ANTENNA_SIDE",
    "beam_mode", "beam_swath", "BEAM_MODE", "BEAM_SWATH", "SWATH", "subswath", "POLARIZATION", "polarization",
    "STARTING_RANGE", "SLANT_RANGE_DISTANCE", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "EARTH_RADIUS", "HEIGHT",
    "ALOOKS", "RLOOKS", "PRF", "STARTING_AZIMUTH", "startUTC", "stopUTC", "centerLineUTC",
    "FILE_PATH", "PROJECT_NAME", "mimtpy_settings",
})


def multi_track_attrs(inputs: Iterable[Mapping[str, object]], drop: Iterable[str] = ()) -> dict:
    """Attributes of an output made from ``inputs`` (the attribute dicts of the tracks, first = base):
    the first input's, without the reference point and settings, with every :data:`PER_TRACK_KEYS` key
    kept only when all inputs agree on it, and without ``drop`` (keys the caller sets or that do
    not apply to the output)."""
    inputs = [dict(a) for a in inputs]
    if not inputs:
        return {}
    first, others = inputs[0], inputs[1:]
    excluded = set(REF_KEYS) | {"mimtpy_settings"} | set(drop)
    out = {}
    for key, value in first.items():
        if key in excluded:
            continue
        if key in PER_TRACK_KEYS and any(str(o.get(key, "")).strip() != str(value).strip() for o in others):
            continue
        out[key] = value
    return out


#: attributes naming a track number, in order of preference (Sentinel-1 ``relative_orbit``; ALOS-2 and others
#: ``trackNumber``)
TRACK_NUMBER_KEYS = ("relative_orbit", "trackNumber", "TRACK", "track")


def known(value: object) -> bool:
    """Whether an attribute value says something: not absent, empty, or a written-out None/NaN (MintPy
    writes ``relative_orbit = None`` for ALOS-2)."""
    return value is not None and str(value).strip() not in ("", "None", "none", "nan", "NaN")


def track_number(attrs: Mapping[str, object]) -> str | None:
    """The track number of a product (first known of :data:`TRACK_NUMBER_KEYS`, as an integer text when it
    is one), or None."""
    for key in TRACK_NUMBER_KEYS:
        value = attrs.get(key)
        if known(value):
            try:
                return str(int(float(str(value))))
            except ValueError:
                return str(value).strip()
    return None
