"""The YAML text layer: ResourceList text in, the same text with edits out.

    read (:mod:`.read`, :mod:`.jsonread`) -> compose (:mod:`.nodes`) -> reconcile (:mod:`.reconcile`, the
    edits) -> write (:mod:`.write`: splice the edits in, or :mod:`.render` items in block style)

Nothing is imported here: each run imports only the modules it uses (start-up).
"""
