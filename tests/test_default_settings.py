"""The project's settings: every ``GDCAC_*`` default defined once (gdcac_crawler.default_settings), applied by
the add-on wherever the spider runs, below whatever the project, the spider or the command line sets."""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from gdcac_crawler import default_settings, settings
from gdcac_crawler.spiders.gdcac import GdcacSpider

DEFAULTS = {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}


def test_every_default_is_a_project_setting_and_settings_py_repeats_none() -> None:
    assert DEFAULTS and all(name.startswith("GDCAC_") for name in DEFAULTS)
    assert not [name for name in dir(settings) if name.startswith("GDCAC_")]


def test_a_test_crawler_sees_the_defaults_at_the_addon_priority() -> None:
    crawler = get_crawler(GdcacSpider)
    for name, value in DEFAULTS.items():
        assert crawler.settings[name] == value, name
        assert crawler.settings.getpriority(name) == SETTINGS_PRIORITIES["addon"], name


def test_the_project_settings_see_the_same_values(monkeypatch) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "gdcac_crawler.settings")
    assert get_project_settings().getdict("ADDONS") == {"gdcac_crawler.addon.GdcacAddon": 0}
    project = {name: getattr(settings, name) for name in dir(settings) if name.isupper() and "REACTOR" not in name}
    crawler = get_crawler(GdcacSpider, project)
    assert len([path for path in crawler.addons.addons if type(path).__name__ == "GdcacAddon"]) == 1
    for name, value in DEFAULTS.items():
        assert crawler.settings[name] == value, name


def test_anything_set_explicitly_wins_over_a_default() -> None:
    crawler = get_crawler(GdcacSpider, {"GDCAC_REVISIT_DAYS": "3", "GDCAC_HEALTH_FIELDS": ["author"]})
    assert crawler.settings.getfloat("GDCAC_REVISIT_DAYS") == 3.0
    assert crawler.settings.getlist("GDCAC_HEALTH_FIELDS") == ["author"]
    assert crawler.settings.getint("GDCAC_INCREMENTAL_STOP_PAGES") == default_settings.GDCAC_INCREMENTAL_STOP_PAGES
