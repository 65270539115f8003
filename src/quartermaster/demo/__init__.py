"""The demo organization's data for ``qm seed-demo`` and the first ``qm serve``.

Application layer, like ``cli.py`` and ``api.py``: it orchestrates several business
modules at once through their services. ``seed`` writes it; ``catalog`` (with
``families*``) and ``history`` generate the catalog and the stock history in pure Python
from a seed; ``desk`` plans and replays the service desk's tickets. Kept light (nothing
imported here), so ``qm`` starts without loading the services.
"""
