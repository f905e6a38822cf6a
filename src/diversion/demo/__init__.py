"""Synthetic demo data: the seeds' case (or another ``Scenario``) inside an ordinary market.

``generate_demo`` writes every source file in its real format plus a ``truth/``
answer key; ``load_demo`` ingests them. Every record is invented.
"""

from diversion.demo.generate import DemoFiles, generate_demo, load_demo
from diversion.demo.scenario import Scenario
from diversion.demo.second import second_scenario
from diversion.demo.tsugami import tsugami_scenario

__all__ = ["DemoFiles", "Scenario", "generate_demo", "load_demo", "second_scenario", "tsugami_scenario"]
