"""Preflight check of a tap-servicetitan pipeline: database, API and local setup.

``servicetitan-preflight check`` (the Meltano utility ``servicetitan-preflight``,
command ``check``) answers every wrong setting with one line naming it, before
anything is extracted, and prints a short table of what it checked otherwise.
"""
