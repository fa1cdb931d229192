"""The demo workspace: Northwind Software and its onboarding program, built through services.

``traction demo`` and ``traction run`` (first start) load it; tests use it as a realistic
fixture. See ``build.py`` for the story and how later parts of the app extend it.
"""

from .build import DEMO_PASSWORD, DEMO_SLUG, Demo, DemoExists, build_demo, demo_exists, remove_demo

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SLUG",
    "Demo",
    "DemoExists",
    "build_demo",
    "demo_exists",
    "remove_demo",
]
