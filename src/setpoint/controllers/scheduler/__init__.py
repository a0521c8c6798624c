"""kube-scheduler's default profile: filters and scores (:mod:`.plugins`), the scheduling
queue (:mod:`.queue`), one cycle (:mod:`.framework`) and the controller (:mod:`.scheduler`)."""

from setpoint.controllers.scheduler.scheduler import Scheduler, add_scheduler

__all__ = ["Scheduler", "add_scheduler"]
