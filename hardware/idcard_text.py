"""The text block of a second-generation ID card (居民身份证), as the reader hands it over.

The block is 256 bytes of UCS-2 little-endian text (GB 13000), fixed fields padded with spaces:

    name 30 · sex 2 · ethnicity 4 · birth 16 · address 70 · ID number 36 · authority 30 ·
    valid from 16 · valid to 16 (YYYYMMDD, or 长期) · reserved 36

Sex and ethnicity are codes (GB/T 2261.1, GB 3304). Hong Kong, Macao and Taiwan residence
permits (港澳台居民居住证) share the layout with the ethnicity left blank; the foreigner's
permanent residence card (外国人永久居留身份证, type "I") has another layout and is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TEXT_BYTES = 256
# (field, bytes), in card order
LAYOUT = (
    ("name", 30),
    ("sex", 2),
    ("ethnicity", 4),
    ("birth", 16),
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),
    ("valid_to", 16),
    ("reserved", 36),
)
CARD_TYPE_OFFSET = 248  # the card type letter sits here on the newer card kinds ("I", "J")
LONG_TERM = "长期"

SEXES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
ETHNICITIES = {
    "01": "汉",
    "02": "蒙古",
    "03": "回",
    "04": "藏",
    "05": "维吾尔",
    "06": "苗",
    "07": "彝",
    "08": "壮",
    "09": "布依",
    "10": "朝鲜",
    "11": "满",
    "12": "侗",
    "13": "瑶",
    "14": "白",
    "15": "土家",
    "16": "哈尼",
    "17": "哈萨克",
    "18": "傣",
    "19": "黎",
    "20": "傈僳",
    "21": "佤",
    "22": "畲",
    "23": "高山",
    "24": "拉祜",
    "25": "水",
    "26": "东乡",
    "27": "纳西",
    "28": "景颇",
    "29": "柯尔克孜",
    "30": "土",
    "31": "达斡尔",
    "32": "仫佬",
    "33": "羌",
    "34": "布朗",
    "35": "撒拉",
    "36": "毛南",
    "37": "仡佬",
    "38": "锡伯",
    "39": "阿昌",
    "40": "普米",
    "41": "塔吉克",
    "42": "怒",
    "43": "乌孜别克",
    "44": "俄罗斯",
    "45": "鄂温克",
    "46": "德昂",
    "47": "保安",
    "48": "裕固",
    "49": "京",
    "50": "塔塔尔",
    "51": "独龙",
    "52": "鄂伦春",
    "53": "赫哲",
    "54": "门巴",
    "55": "珞巴",
    "56": "基诺",
    "97": "其他",
    "98": "外国血统中国籍人士",
}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


class TextError(ValueError):
    """The text block is not a resident ID card's; the message says which field."""


@dataclass(frozen=True, repr=False)
class IdCard:
    name: str
    sex: str  # 男 / 女 / 未知 / 未说明
    ethnicity: str  # 汉, 蒙古 …; "" on a residence permit
    birth: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_to: date | None  # None: 长期

    def age_on(self, day: date) -> int:
        """Full years on ``day`` (one born on 29 February turns a year older on 1 March)."""
        before_birthday = (day.month, day.day) < (self.birth.month, self.birth.day)
        return day.year - self.birth.year - before_birthday

    def masked(self) -> dict[str, str]:
        """Every field as text fit for a screen or a log: the name, ID number and address cut."""
        return {
            "name": mask_name(self.name),
            "sex": self.sex,
            "ethnicity": self.ethnicity,
            "birth": self.birth.isoformat(),
            "address": mask_address(self.address),
            "id_number": mask_id_number(self.id_number),
            "authority": self.authority,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else LONG_TERM,
        }

    def __repr__(self) -> str:
        # A log line or a traceback must not carry the whole name and number.
        m = self.masked()
        return f"IdCard(name={m['name']!r}, id_number={m['id_number']!r}, valid_to={m['valid_to']!r})"


def mask_name(name: str) -> str:
    """张*三 (first and last kept), 张* for two characters, * for one."""
    if len(name) >= 3:
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name[:1] + "*" if len(name) == 2 else "*" * len(name)


def mask_id_number(number: str) -> str:
    """4201**********1234: the region's first four digits and the last four."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_address(address: str) -> str:
    """The province and city part (the first six characters), the rest starred."""
    return address[:6] + "****" if len(address) > 6 else address


def id_number_valid(number: str) -> bool:
    """GB 11643: 17 digits and a check character (0-9 or X) computed from them."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11] == number[17].upper()


def decode_text(block: bytes) -> IdCard:
    """The 256-byte text block as an ``IdCard``; raises ``TextError`` naming the bad field."""
    if len(block) < TEXT_BYTES:
        raise TextError(f"text block is {len(block)} bytes, not {TEXT_BYTES}")
    card_type = block[CARD_TYPE_OFFSET : CARD_TYPE_OFFSET + 2].decode("utf-16-le", errors="replace")
    if card_type == "I":
        raise TextError("a foreigner's permanent residence card (type I): its layout is not read here")
    fields, offset = {}, 0
    for name, size in LAYOUT:
        raw = block[offset : offset + size]
        offset += size
        try:
            fields[name] = raw.decode("utf-16-le").replace("\x00", " ").strip()
        except UnicodeDecodeError:
            raise TextError(f"{name}: not UCS-2 text") from None
    sex = SEXES.get(fields["sex"])
    if sex is None:
        raise TextError(f"sex: unknown code {fields['sex']!r}")
    number = fields["id_number"].upper()
    if not id_number_valid(number):
        raise TextError("id_number: not 18 characters with a valid GB 11643 check character")
    code = fields["ethnicity"]
    return IdCard(
        name=fields["name"],
        sex=sex,
        ethnicity=ETHNICITIES.get(code, code),  # an unknown code shown as it is, not refused
        birth=_date("birth", fields["birth"]),
        address=fields["address"],
        id_number=number,
        authority=fields["authority"],
        valid_from=_date("valid_from", fields["valid_from"]),
        valid_to=None if fields["valid_to"] == LONG_TERM else _date("valid_to", fields["valid_to"]),
    )


def _date(field: str, text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise TextError(f"{field}: {text!r} is not YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise TextError(f"{field}: {text!r} is not a date") from None
