"""Signals other apps listen to, so the case services need not know them (routing's workflows).

Both are sent inside the action's transaction: a receiver's error undoes the action.
"""

from django.dispatch import Signal

# The case's status or type was saved by a case service: `case` is the saved case.
case_status_saved = Signal()

# A case is about to be closed with `resolution` (a `Resolution` value); a receiver may refuse by raising
# an `ApplicationError` that says how to close it instead.
case_closing = Signal()
