"""Service guides (服务指南): what each item needs, read from the hall's guide file.

The hall config names the file (``[hall] guides = "guides.toml"``, relative to the config).
Each item belongs to a service of the hall, so a visitor reading an item can take a ticket
for it. The kiosk and every other screen get the guides from the server, so the hall config
and its guide file are the one source of truth. Errors name the file, the key and the problem,
like those of the hall config.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from queue_server.config.hall_file import ConfigError, humanize, read_toml
from queue_server.core.model import HallConfig

SAMPLE_GUIDES = "sample/guides.toml"
NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Fee(_Strict):
    """One line of the 收费明白卡 (fee card)."""

    name: NonEmpty  # 收费项目
    standard: NonEmpty  # 收费标准, e.g. "10元/证"
    basis: str = ""  # 收费依据


class GuideItem(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
    name: NonEmpty  # 事项名称
    service: NonEmpty  # the queue service a ticket is taken for
    kind: Literal["即办件", "承诺件"]
    legal_basis: list[NonEmpty] = Field(min_length=1)  # 法定依据
    conditions: list[NonEmpty] = Field(min_length=1)  # 申请条件
    materials: list[NonEmpty] = Field(min_length=1)  # 申报材料
    procedure: list[NonEmpty] = Field(min_length=1)  # 办理程序
    statutory_limit: NonEmpty  # 法定时限
    promised_limit: NonEmpty  # 承诺时限
    fees: list[Fee] = Field(default_factory=list)  # empty: 不收费
    complaint_phone: str = ""  # empty: the hall's
    keywords: list[str] = Field(default_factory=list)  # other words visitors search with


class _GuideFile(_Strict):
    items: list[GuideItem] = Field(min_length=1)


@functools.lru_cache(maxsize=4096)
def pinyin_initials(text: str) -> str:
    """户口迁入登记 -> "hkqrdj": lets a visitor find an item by typing initials.

    pypinyin is imported here, on first use: loading its phrase dictionaries takes about half a
    second, which the server's start should not wait for (``api/warmup.py`` calls this for every
    service right after the start)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def parse_guides(data: dict, config: HallConfig, path: str = "guides.toml") -> tuple[GuideItem, ...]:
    try:
        items = _GuideFile.model_validate(data).items
    except ValidationError as exc:
        raise ConfigError(path, humanize(exc)) from None
    problems = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.service not in config.services:
            problems.append(f'items[{i}].service: unknown service "{item.service}"')
        if item.code in seen:
            problems.append(f'items[{i}].code: duplicate code "{item.code}"')
        seen.add(item.code)
    if problems:
        raise ConfigError(path, problems)
    return tuple(items)


def hall_guides(config: HallConfig, config_path: str | Path | None) -> tuple[GuideItem, ...]:
    """The guides the hall config names (``[hall] guides``, relative to the config file).

    ``config_path`` ``None`` is the sample hall, whose guides ship beside it.
    """
    if config.guides_file is None:
        return ()
    if config_path is None:
        return load_guides(config, None)
    return load_guides(config, Path(config_path).parent / config.guides_file)


def load_guides(config: HallConfig, path: str | Path | None) -> tuple[GuideItem, ...]:
    """The guide items of ``path``; ``None`` loads the sample hall's guides."""
    data, shown = read_toml(path, SAMPLE_GUIDES)
    return parse_guides(data, config, shown)
