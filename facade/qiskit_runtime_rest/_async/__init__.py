"""One flavour of the classes that send requests.

``_async/`` is written by hand; ``_sync/`` is generated from it by ``scripts/unasync.py``, except
for each flavour's ``_flavour.py``, which holds what truly differs between the two.
"""
