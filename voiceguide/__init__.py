"""VoiceGuide: an offline spoken guide to one article on spine surgery.

The package reads as the pipeline: content and intents are loaded from YAML
(:mod:`content`, :mod:`intents`), text is understood (:mod:`understand`),
and a conversation turns understanding into replies (:mod:`dialogue`).
"""

__version__ = "0.1.0"
