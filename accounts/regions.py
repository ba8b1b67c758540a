"""Administrative region codes (GB/T 2260).

A small table names the regions the programmes use today; any other well-formed code is
accepted when its first two digits are a province-level code, so a new district does not
need a code change before it can register.
"""

import re

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

KNOWN_REGIONS: dict[str, str] = {
    "110000": "北京市",
    "310000": "上海市",
    "420000": "湖北省",
    "420100": "武汉市",
    "430000": "湖南省",
    "430100": "长沙市",
    "430102": "长沙市芙蓉区",
    "430103": "长沙市天心区",
    "430104": "长沙市岳麓区",
    "430105": "长沙市开福区",
    "430111": "长沙市雨花区",
    "430112": "长沙市望城区",
    "430121": "长沙县",
    "430181": "浏阳市",
    "430182": "宁乡市",
    "430200": "株洲市",
    "430300": "湘潭市",
    "440000": "广东省",
    "440300": "深圳市",
}

_CODE = re.compile(r"^\d{6}$")


def is_valid_region_code(code: str) -> bool:
    return (
        isinstance(code, str)
        and bool(_CODE.match(code))
        and (code in KNOWN_REGIONS or code[:2] in PROVINCES)
    )


def region_name(code: str) -> str:
    """The region's name if we know it, else its province's, else ''."""
    if code in KNOWN_REGIONS:
        return KNOWN_REGIONS[code]
    return PROVINCES.get((code or "")[:2], "")


def city_code(code: str) -> str:
    """The prefecture-level code a district belongs to: '430104' -> '430100'."""
    return code[:4] + "00" if is_valid_region_code(code) else code
