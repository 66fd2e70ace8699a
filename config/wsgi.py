import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

from entitle.accounts.token_routes import with_token_routes  # noqa: E402 — needs Django set up
from entitle.licensing.fastpath import with_fast_validation  # noqa: E402

application = with_token_routes(with_fast_validation(django_application))
