"""The hall described in TOML: the hall config, its service guides, and the sample hall."""

from .guides import GuideItem, hall_guides, parse_guides, pinyin_initials
from .hall_file import ConfigError, load_hall_config, parse_hall_config
from .hall_files import HallFiles, load_hall_files

__all__ = [
    "ConfigError",
    "GuideItem",
    "HallFiles",
    "hall_guides",
    "load_hall_files",
    "load_hall_config",
    "parse_guides",
    "parse_hall_config",
    "pinyin_initials",
]
