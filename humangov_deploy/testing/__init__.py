"""The HumanGov test harness as a pytest plugin: install humangov-deploy, and any test file can ask for a
deployed state (`humangov_stack`), signed-in sessions (`humangov_session`) and the platform
(`humangov_platform`). Options and fixtures: `humangov_deploy.testing.plugin`; docs/live-suite.md,
"Write your own acceptance test".
"""

from humangov_deploy.testing.stack import HumangovStack

__all__ = ["HumangovStack"]
