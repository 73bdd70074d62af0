"""AppTest entry point that runs the real ``app.py``.

AppTest resets Streamlit's "pages directory" flag before every run, so an app whose
folder holds ``pages/`` is re-run through the legacy v1 page router on the second
run, bypassing ``st.navigation``. Running ``app.py`` from this folder (which has no
``pages/``) keeps AppTest on the path the real server takes after its first run.
"""

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
if str(APP.parent) not in sys.path:
    sys.path.insert(0, str(APP.parent))
code = compile(APP.read_text(encoding="utf-8"), str(APP), "exec")
exec(code, {"__name__": "__main__", "__file__": str(APP)})
