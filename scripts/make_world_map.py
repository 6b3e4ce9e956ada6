"""Turn Natural Earth's 1:110m countries (TopoJSON from the npm package ``world-atlas``) into the
projected SVG paths that the site's partner map is drawn from.

Run once, when the map should change; the output is committed so that building the site never
fetches anything:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/make_world_map.py package/countries-110m.json site_templates/map/world-110m.json

Projection: Equal Earth (Šavrič, Patterson & Jenny 2018), which keeps areas true, so a large country
does not look more important than it is. Coordinates are rounded to 0.1 unit of a 1000-unit-wide
frame; at the size the map is shown that is well below a pixel.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

import pycountry

WIDTH = 1000.0
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


# The frame: Equal Earth's full extent (±180° at the equator, ±90° latitude).
X_MAX = equal_earth(180, 0)[0]
Y_MAX = equal_earth(0, 90)[1]
SCALE = WIDTH / (2 * X_MAX)
HEIGHT = round(2 * Y_MAX * SCALE, 1)


def to_frame(lon: float, lat: float) -> tuple[float, float]:
    x, y = equal_earth(lon, lat)
    return round((x + X_MAX) * SCALE, 1), round((Y_MAX - y) * SCALE, 1)


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their joining point
    return points


def unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous: a ring crossing the antimeridian goes past ±180° instead of jumping."""
    out = [points[0]]
    shift = 0.0
    for (lon0, _), (lon, lat) in itertools.pairwise(points):
        if lon - lon0 > 180:
            shift -= 360
        elif lon0 - lon > 180:
            shift += 360
        out.append((lon + shift, lat))
    return out


def clip(points: list[tuple[float, float]], edge: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland–Hodgman clipping of a ring against the meridian ``edge``."""

    def inside(p: tuple[float, float]) -> bool:
        return p[0] <= edge if keep_below else p[0] >= edge

    out: list[tuple[float, float]] = []
    for i, cur in enumerate(points):
        prev = points[i - 1]
        if inside(cur) != inside(prev):
            t = (edge - prev[0]) / (cur[0] - prev[0])
            out.append((edge, prev[1] + t * (cur[1] - prev[1])))
        if inside(cur):
            out.append(cur)
    return out


def split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    ring = unwrap(points)
    if all(-180 <= lon <= 180 for lon, _ in ring):
        return [points]
    parts = []
    for offset in (0.0, 360.0, -360.0):
        moved = [(lon + offset, lat) for lon, lat in ring]
        piece = clip(clip(moved, 180.0, True), -180.0, False)
        if len(piece) >= 3:
            parts.append(piece)
    return parts


def ring_path(points: list[tuple[float, float]]) -> str:
    return "".join(_ring_path(part) for part in split_at_antimeridian(points))


def _ring_path(points: list[tuple[float, float]]) -> str:
    out: list[tuple[float, float]] = []
    for lon, lat in points:
        p = to_frame(lon, lat)
        if not out or out[-1] != p:
            out.append(p)
    if len(out) < 3:
        return ""
    return "M" + "L".join(f"{x:g} {y:g}" for x, y in out) + "Z"


def main(source: Path, target: Path) -> None:
    topo = json.loads(source.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    countries: dict[str, dict[str, str]] = {}
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs")], "MultiPolygon": geometry.get("arcs")}.get(
            geometry.get("type"), []
        )
        d = "".join(ring_path(ring_points(r, arcs)) for polygon in polygons or [] for r in polygon)
        if not d:
            continue
        name = geometry["properties"]["name"]
        if geometry.get("id") == "010":  # Antarctica: no partner there, and it circles the pole
            continue
        found = pycountry.countries.get(numeric=geometry.get("id", "")) if geometry.get("id") else None
        # Places without an ISO numeric code (Kosovo, Somaliland, N. Cyprus) are drawn, never coloured.
        key = found.alpha_2 if found else "_" + name
        if key in countries:
            countries[key]["d"] += d
        else:
            countries[key] = {"name": name, "d": d}
    doc = {
        "source": "Natural Earth 1:110m Admin 0 countries, via world-atlas 2.0.2 (countries-110m.json)",
        "licence": "Natural Earth: public domain. world-atlas: ISC, Copyright 2013-2019 Michael Bostock.",
        "projection": "Equal Earth",
        "width": WIDTH,
        "height": HEIGHT,
        "countries": dict(sorted(countries.items())),
    }
    target.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
