"""`scoring serve`: a local web page for council secretaries, over the same library as the CLI.

The page holds no scoring logic: it calls `scoring.run.app.run`, the renderers, `explain`, the
manifest and atomic writers and `verify_folder`, exactly as the command line does, and shows what
they return. See `scoring.web.server` for the security model.
"""

from scoring.web.server import MAX_UPLOAD_FILES, create_app, new_token

__all__ = ["MAX_UPLOAD_FILES", "create_app", "new_token"]
