"""Runs a program with one source tree's code and nothing else of this project:

    python bench/in_tree.py <tree> manage.py migrate      # <tree>/manage.py
    python bench/in_tree.py <tree> -m gunicorn raportal.wsgi ...

The virtualenv's editable install of the project (setuptools' ``__editable__`` finder, last on
``sys.meta_path``) maps the project's packages to the checkout it was installed from: a module
that another tree lacks (an older commit's ``certificates.templatetags``, say) would be found
there, and Django would load it. This removes that finder and puts ``<tree>`` first on
``sys.path`` (instead of bench/) before running the program; gunicorn's workers, forked, inherit
both.
"""

import os
import runpy
import sys
from pathlib import Path

sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
tree = Path(sys.argv[1]).resolve()
sys.path[0] = str(tree)
os.chdir(tree)
if sys.argv[2] == "-m":
    sys.argv = [sys.argv[3], *sys.argv[4:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = [str(tree / sys.argv[2]), *sys.argv[3:]]
    runpy.run_path(sys.argv[0], run_name="__main__")
