"""The feedback ledger (意见建议台账, FB-1, FB-2): online feedback without an account, feedback
recorded by staff, handling, rectification, answers and their publication."""
