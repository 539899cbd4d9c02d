"""The CDK app's assembly layer (the design's `app.py` layer): selects and builds stacks.

`app.py` at the top is only the entry point the CDK CLI runs.
"""
