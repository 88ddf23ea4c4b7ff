"""Imported by Celery's autodiscovery (`app.autodiscover_tasks()` looks for each app's `tasks` module) so that
the notifications' tasks are registered. Each is defined next to what it runs, under its name here
(`notifications.tasks.<name>`, kept: routes, the beat schedule and queued messages use it):

    planner.plan_message        notifications.tasks.plan_message
    sender.send_push_task       notifications.tasks.send_push
    sender.send_sms_task        notifications.tasks.send_sms
    reconcile.check_sms_task    notifications.tasks.check_sms
    voice.send_voice_task       notifications.tasks.send_voice
    voice.check_calls_task      notifications.tasks.check_calls
    sweeper.sweep_outbox        notifications.tasks.sweep_outbox
    sweeper.purge_old_deliveries  notifications.tasks.purge_old_deliveries
    summaries.summarise_messages  notifications.tasks.summarise_messages
"""

from . import planner, reconcile, sender, summaries, sweeper, voice

__all__ = ["planner", "reconcile", "sender", "summaries", "sweeper", "voice"]
