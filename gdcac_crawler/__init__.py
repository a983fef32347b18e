"""gdcac-crawler: a Scrapy crawler and archiver for Chinese government news portals."""

from __future__ import annotations

__version__ = "0.1.0"
