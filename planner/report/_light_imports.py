"""Import once, before nbformat: what the report runner's libraries need not load.

jsonschema (imported by nbformat, which papermill and nbconvert import) compiles a grammar for
its IRI format checks at import time when the optional ``rfc3987_syntax`` is installed: about
two seconds of CPU in every ``planner report``, for a check nbformat never makes (it validates
notebooks without format checks). Marking the module as absent makes jsonschema skip it, as it
does when the package is not installed.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
