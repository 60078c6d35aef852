"""What the live tests share: the plugin's stack (humangov_deploy.testing), and stopping a task."""

from __future__ import annotations

from humangov_deploy.testing import HumangovStack

LiveStack = HumangovStack  # the live tests' name for it


def stop_task(stack: HumangovStack, task_id: str) -> None:
    """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back."""
    stack.stop_task(task_id)
