"""The official Horizon client's pydantic models, without the cost of the client's package.

The admin API reads request bodies with the models of ``evertrust-horizon`` (an
OpenAPI-generated client). Its ``horizon/__init__.py`` imports every API and every model,
and ``horizon/models/__init__.py`` every model again: about 1 400 modules, 2 to 7 s per
process. Importing one ``horizon.models.x`` executes both package ``__init__``s first, so
a gunicorn worker paid that on its first request and, under load, hit its timeout.

Here the two packages are registered in ``sys.modules`` as bare modules (``__path__``,
``__spec__`` and ``__file__`` those of the real packages, nothing executed) before the
models are imported: ``import horizon.models.web_ra_profile`` then loads that module and
the models it imports, a dozen modules in about 0.1 s.

Code that wants the whole client in the same process (the contract tests, provisioning
scripts) still gets it: a bare package answers its first missing attribute
(``horizon.ApiClient``, ``from horizon import Configuration``, ``getattr(horizon.models,
"Label")`` as the client's deserializer does) by executing its real ``__init__.py`` into
itself once (PEP 562 module ``__getattr__``). Model classes already loaded are reused, so a
class is the same object whichever way it was imported. When ``horizon`` was imported
before this module, nothing is registered and the imports below are ordinary ones.

Project code imports the client's models from here, never from ``horizon.models``
directly: the first direct import would execute the package ``__init__``s.
"""

import importlib
import importlib.util
import sys
import threading
from types import ModuleType


def _bare_package(name: str) -> ModuleType:
    """Registers the package ``name`` in ``sys.modules`` without executing its
    ``__init__.py``, which runs on the first attribute the package lacks."""
    # For a top-level name find_spec only searches; for a dotted one it imports the parent,
    # which is already registered here, bare.
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not an installed package", name=name)
    module = importlib.util.module_from_spec(spec)  # __path__, __file__, __spec__: not run
    loader = spec.loader
    lock = threading.RLock()
    ran = False

    def __getattr__(attribute: str):
        nonlocal ran
        # A submodule is imported on its own, as the import system does for
        # ``from horizon import rest``: answering it with the whole package would start a
        # second, circular import of the module being imported.
        if attribute.isidentifier() and importlib.util.find_spec(f"{name}.{attribute}"):
            return importlib.import_module(f"{name}.{attribute}")
        with lock:  # another thread waits for the __init__ rather than seeing half of it
            if not ran:
                ran = True  # set first: a lookup made by the __init__ itself finds no loop
                try:
                    loader.exec_module(module)
                except BaseException:
                    ran = False  # as a failed import, tried again on the next lookup
                    raise
                if module.__dict__.get("__getattr__") is __getattr__:
                    del module.__dict__["__getattr__"]  # the package as the client made it
        try:
            return module.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    module.__dict__["__getattr__"] = __getattr__
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as the import system links a submodule
    return module


if "horizon" not in sys.modules:
    _bare_package("horizon")
    _bare_package("horizon.models")

# The models the project uses, one import each: only these and what they import load.
from horizon.models.acme_profile import AcmeProfile  # noqa: E402
from horizon.models.certificate_authority_request import CertificateAuthorityRequest  # noqa: E402
from horizon.models.discovery_campaign import DiscoveryCampaign  # noqa: E402
from horizon.models.discovery_feed import DiscoveryFeed  # noqa: E402
from horizon.models.email_notification import EmailNotification  # noqa: E402
from horizon.models.est_profile import EstProfile  # noqa: E402
from horizon.models.event_code import EventCode as EventCode  # noqa: E402 (an enum)
from horizon.models.event_module import EventModule as EventModule  # noqa: E402 (an enum)
from horizon.models.integrated_ca_connector import IntegratedCAConnector  # noqa: E402
from horizon.models.label import Label  # noqa: E402
from horizon.models.local_identity import LocalIdentity  # noqa: E402
from horizon.models.local_identity_on_add import LocalIdentityOnAdd  # noqa: E402
from horizon.models.principal_info import PrincipalInfo  # noqa: E402
from horizon.models.principal_info_search_query import PrincipalInfoSearchQuery  # noqa: E402
from horizon.models.rest import REST  # noqa: E402
from horizon.models.scep_profile import ScepProfile  # noqa: E402
from horizon.models.security_team_update_request import SecurityTeamUpdateRequest  # noqa: E402
from horizon.models.set_password_request import SetPasswordRequest  # noqa: E402
from horizon.models.team import Team  # noqa: E402
from horizon.models.web_ra_profile import WebRAProfile  # noqa: E402

# The models (EventCode and EventModule, enums without a schema of their own, are imported
# above for the events API and left out).
__all__ = [
    "REST",
    "AcmeProfile",
    "CertificateAuthorityRequest",
    "DiscoveryCampaign",
    "DiscoveryFeed",
    "EmailNotification",
    "EstProfile",
    "IntegratedCAConnector",
    "Label",
    "LocalIdentity",
    "LocalIdentityOnAdd",
    "PrincipalInfo",
    "PrincipalInfoSearchQuery",
    "ScepProfile",
    "SecurityTeamUpdateRequest",
    "SetPasswordRequest",
    "Team",
    "WebRAProfile",
]
