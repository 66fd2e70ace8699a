"""Settings, read from the environment.

With nothing set, Entitle runs embedded: a SQLite file and a database cache in
ENTITLE_DATA_DIR (default ./.entitle), e-mail printed to the console. Production sets
DATABASE_URL (PostgreSQL), CACHE_URL (Redis), EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

import copy
import secrets
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("ENTITLE_DATA_DIR", default=str(Path.cwd() / ".entitle"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules or env.bool("ENTITLE_TESTING", default=False)


def _embedded_secret_key() -> str:
    # A key made once per data folder: never a constant in the repository, and stable
    # across restarts so that sessions and signed links survive them.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_secret_key()
# Rotating SECRET_KEY: the previous value(s) here keep sessions and mailed links valid meanwhile.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The address the portal is reached at, used in links sent by e-mail.
PORTAL_URL = env.str("ENTITLE_PORTAL_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "entitle.core.admin_site.EntitleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # The API docs page (Swagger UI) served from ninja's own static files, not a CDN.
    "ninja",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "entitle.core",
    "entitle.access",
    "entitle.accounts",
    "entitle.catalog",
    "entitle.orders",
    "entitle.locker",
    "entitle.licensing",
    "entitle.sharing",
    "entitle.renewals",
    "entitle.webhooks",
    "entitle.dashboard",
    "entitle.backoffice",
]

MIDDLEWARE = [
    # First, so that it sees every answer under /api/ (and refuses oversized bodies early).
    "entitle.core.api_errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "entitle.core.routing.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "entitle.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "entitle.access.middleware.ActorMiddleware",
    "entitle.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "entitle" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "entitle.access.context_processors.actor",
                "entitle.dashboard.context_processors.navigation",
                "entitle.dashboard.context_processors.registration",
            ],
            # Dates, money and icons look the same on every page without a {% load %}.
            "builtins": ["entitle.core.templatetags.portal"],
        },
    }
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'entitle.sqlite3'}")
}
# A streaming replica (a read-only copy of the primary) serves lists, dashboards and product
# validation; entitle/core/routing.py decides which reads, so that everyone sees their writes.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the server and the task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not an in-memory database, so that the browser tests' live server threads get
    # connections of their own.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    for database in DATABASES.values():
        database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        # A health check costs a round trip on every request; a dead connection is replaced
        # after its first error anyway. Turn it on where connections are cut often.
        database["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
        # Lets the few hand-prepared hot queries (product validation) be prepared once per
        # connection; Django's own queries bind on the client and are not affected.
        database.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
        # No JIT compilation: the portal's queries are short, and the planner's cost estimates
        # for the policy's EXISTS filters over large tables are high enough to make PostgreSQL
        # spend hundreds of milliseconds compiling a query that runs in tens.
        database["OPTIONS"].setdefault("options", "-c jit=off")
if TESTING and "replica" not in DATABASES:
    # The router's tests read from a second database that never receives writes: a replica that
    # has stopped replaying. It is created only for the tests that ask for it.
    DATABASES["replica"] = {
        **copy.deepcopy(DATABASES["default"]),
        "TEST": {
            "NAME": str(DATA_DIR / "test-replica.sqlite3")
            if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
            else f"test_{DATABASES['default']['NAME']}_replica"
        },
    }
DATABASE_ROUTERS = ["entitle.core.routing.ReplicaRouter"] if "replica" in DATABASES else []

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits and other shared state live here, so that several app servers act as one.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # django-redis: its public get_redis_connection() gives the rate limiter one round
        # trip per check without reaching into private internals.
        CACHES["default"]["BACKEND"] = "django_redis.cache.RedisCache"
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "entitle_cache",
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["entitle.accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
# Authenticator apps show the account under this name.
OTP_TOTP_ISSUER = "Entitle"
# Wrong codes are limited like passwords, per (account, client) and per client
# (entitle.accounts.services.mfa); django-otp's own per-device slow-down would let a guesser
# anywhere lock the account's owner out everywhere, which DOMAIN.md forbids.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One way to write a date on every screen ("24 Dec 2027"): `|date` in templates and
# `django.utils.formats.date_format` in code read it from config/formats.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Files are served straight from the apps: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Entitle <no-reply@entitle.example>")

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

ENTITLE = {
    # Encrypts the licence-signing keys at rest; defaults to a key derived from SECRET_KEY.
    "KEY_ENCRYPTION_KEY": env.str("ENTITLE_KEY_ENCRYPTION_KEY", default=""),
    "INVITATION_DAYS": env.int("ENTITLE_INVITATION_DAYS", default=14),
    # Invitations one user may send per hour.
    "INVITATION_RATE": env.int("ENTITLE_INVITATION_RATE", default=30),
    # Failed sign-ins (passwords, API tokens) per account from one client address, and per
    # client address, in fifteen minutes; past either, that client is refused until it ends.
    "LOGIN_FAILURES_PER_ACCOUNT": env.int("ENTITLE_LOGIN_FAILURES_PER_ACCOUNT", default=10),
    "LOGIN_FAILURES_PER_CLIENT": env.int("ENTITLE_LOGIN_FAILURES_PER_CLIENT", default=100),
    # The currency of every price (ISO 4217 code), shown with each amount.
    "CURRENCY": env.str("ENTITLE_CURRENCY", default="EUR"),
    # The direct price is the partner price times this premium.
    "DIRECT_PREMIUM": env.str("ENTITLE_DIRECT_PREMIUM", default="1.20"),
    # Voucher codes one user, and one company, may try in ten minutes.
    "REDEEM_RATE_USER": env.int("ENTITLE_REDEEM_RATE_USER", default=20),
    "REDEEM_RATE_COMPANY": env.int("ENTITLE_REDEEM_RATE_COMPANY", default=60),
    # Product requests (activate, validate, deactivate) per minute for one Activation ID, and
    # from one client address (whatever the key: guessing keys is slowed per address).
    "PRODUCT_RATE": env.int("ENTITLE_PRODUCT_RATE", default=120),
    "PRODUCT_RATE_ADDRESS": env.int("ENTITLE_PRODUCT_RATE_ADDRESS", default=600),
    # The replica's database alias ("" without DATABASE_REPLICA_URL), and how long a client
    # that wrote reads from the primary (also the most lag the replica may have and be used).
    "READ_REPLICA": "replica" if env.str("DATABASE_REPLICA_URL", default="") else "",
    "REPLICA_PIN_SECONDS": env.int("ENTITLE_REPLICA_PIN_SECONDS", default=5),
    # Webhooks: seconds to wait for an answer; attempts per delivery, the pause after the first
    # failed one (doubling after each); failed attempts in a row that disable an endpoint.
    "WEBHOOK_TIMEOUT": env.float("ENTITLE_WEBHOOK_TIMEOUT", default=10.0),
    "WEBHOOK_MAX_ATTEMPTS": env.int("ENTITLE_WEBHOOK_MAX_ATTEMPTS", default=8),
    "WEBHOOK_RETRY_BASE": env.int("ENTITLE_WEBHOOK_RETRY_BASE", default=60),
    "WEBHOOK_DISABLE_AFTER": env.int("ENTITLE_WEBHOOK_DISABLE_AFTER", default=20),
    # Let webhook endpoints and identity providers be on private and loopback addresses, and
    # plain http: development and tests only (a public server must not be made to call into its
    # own network).
    "ALLOW_PRIVATE_TARGETS": env.bool("ENTITLE_ALLOW_PRIVATE_TARGETS", default=False),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
