"""The desk's moderation: the inbox (what needs the town hall now), the queue of reports and one report's actions.

Every decision goes through `alerts.services`, as the API's do: same audit entries, same messages to residents.
"""
